"""Settings: nested per area, from environment variables (JARVIS_…, nested with __) and an optional YAML file."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from jarvis.errors import ConfigError


def default_data_dir() -> Path:
    """The XDG data directory for Jarvis (~/.local/share/jarvis unless XDG_DATA_HOME says otherwise)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "jarvis"


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(1_000_000, ge=1024)
    # Audio uploads (/api/voice/*, /v1/audio/*) may be larger than other requests.
    max_audio_bytes: int = Field(25_000_000, ge=1024)
    request_timeout_seconds: float = Field(120.0, gt=0)

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


class AuthSettings(BaseModel):
    enabled: bool = True
    max_failures: int = Field(10, ge=1)
    failure_window_seconds: float = Field(60.0, gt=0)
    # Web app: the one-time sign-in link printed by `jarvis serve`, and the browser session it opens.
    signin_link_minutes: float = Field(60.0, gt=0)
    session_days: float = Field(30.0, gt=0)


class LlmSettings(BaseModel):
    backend: Literal["llama_cpp", "openai_compat"] = "llama_cpp"
    # llama_cpp: a model from the catalog (prepared by `jarvis setup`) or any GGUF file through model_path.
    model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    model_path: Path | None = None
    context_tokens: int = Field(4096, ge=512)
    threads: int | None = Field(None, ge=1)
    # openai_compat: any OpenAI-compatible server (Ollama, vLLM, llama.cpp's server).
    base_url: str | None = None
    api_key: str = "none"
    remote_model: str | None = None
    # Generation.
    max_tokens: int = Field(384, ge=1, le=8192)
    temperature: float = Field(0.3, ge=0, le=2)
    repeat_penalty: float = Field(1.1, ge=0.5, le=2)
    # Evaluate the next turn's prompt prefix while idle, so the next answer starts sooner (costs idle CPU).
    prefix_warming: bool = True
    # Waiting generations beyond this many get HTTP 503 with Retry-After.
    max_queue: int = Field(4, ge=0)
    first_token_timeout_seconds: float = Field(30.0, gt=0)
    timeout_seconds: float = Field(120.0, gt=0)

    @model_validator(mode="after")
    def _remote_needs_url(self) -> LlmSettings:
        if self.backend == "openai_compat" and not self.base_url:
            raise ValueError(
                "llm.base_url is required when llm.backend is openai_compat "
                "(set JARVIS_LLM__BASE_URL, e.g. http://127.0.0.1:11434/v1)"
            )
        return self


# Words Jarvis expects to hear: a Whisper prompt with them cuts errors on home commands (see MODELS.md).
DEFAULT_STT_PROMPT_FR = (
    "Jarvis, allume la lumière du salon, éteins la cuisine, mets la chambre à 50 %, "
    "quelle est la température, règle le chauffage à 21 degrés, lance un minuteur de 10 minutes."
)


class SttSettings(BaseModel):
    backend: Literal["faster_whisper"] = "faster_whisper"
    # A model from the catalog (prepared by `jarvis setup`) or any CTranslate2 Whisper directory (model_path).
    model: str = "whisper-base"
    model_path: Path | None = None
    language: str | None = Field(None, pattern=r"^[a-z]{2}$")  # None: chat.language
    threads: int | None = Field(None, ge=1)
    beam_size: int = Field(1, ge=1, le=10)
    compute_type: str = "int8"
    initial_prompt: str | None = DEFAULT_STT_PROMPT_FR
    hotwords: list[str] = Field(default_factory=lambda: ["Jarvis"])
    max_audio_seconds: float = Field(120.0, gt=0)
    timeout_seconds: float = Field(30.0, gt=0)


class VadSettings(BaseModel):
    """Server-side listening: when speech starts and when an utterance is over."""

    threshold: float = Field(0.5, gt=0, lt=1)
    min_speech_seconds: float = Field(0.15, gt=0)
    silence_seconds: float = Field(0.6, gt=0)
    pre_roll_seconds: float = Field(0.3, ge=0)
    # After this much silence, speech recognition starts while the end of the utterance is still being confirmed
    # (silence_seconds); if the user goes on speaking, that early result is dropped. None turns it off.
    early_stt_after_seconds: float | None = Field(0.15, gt=0)


class TtsSettings(BaseModel):
    backend: Literal["kokoro", "espeak"] = "kokoro"
    voice: str = "ff_siwis"  # a voice file name in the voices directory, or a blend "ff_siwis:0.7,em_alex:0.3"
    speed: float = Field(1.0, ge=0.5, le=2.0)
    model_path: Path | None = None
    voices_dir: Path | None = None
    threads: int | None = Field(None, ge=1)
    espeak_voice: str = "fr"
    # The first piece of a reply may stop at a comma once it is this long, so that the first audio comes sooner.
    first_clause_min_chars: int = Field(10, ge=1)
    max_text_chars: int = Field(2000, ge=1)
    # Per synthesis call (one sentence in a spoken reply).
    timeout_seconds: float = Field(30.0, gt=0)


class StoreSettings(BaseModel):
    # SQLAlchemy async URL; default: SQLite file jarvis.db in data_dir.
    url: str | None = None


class ChatSettings(BaseModel):
    language: str = Field("fr", pattern=r"^[a-z]{2}$")
    timezone: str | None = None
    max_message_chars: int = Field(4000, ge=1)
    # Tokens of past turns put in the prompt; older turns are left out.
    history_tokens: int = Field(2048, ge=0)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {value!r} (use a name such as Europe/Paris)") from exc
        return value


class LogSettings(BaseModel):
    level: Literal["debug", "info", "warning", "error"] = "info"
    json_format: bool | None = None  # None: JSON when stderr is not a terminal


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="JARVIS_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    config_file: Path | None = None
    server: ServerSettings = Field(default_factory=ServerSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    stt: SttSettings = Field(default_factory=SttSettings)
    vad: VadSettings = Field(default_factory=VadSettings)
    tts: TtsSettings = Field(default_factory=TtsSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    log: LogSettings = Field(default_factory=LogSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        yaml_file = os.environ.get("JARVIS_CONFIG_FILE")
        if yaml_file:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=yaml_file))
        return tuple(sources)

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def database_url(self) -> str:
        return self.store.url or f"sqlite+aiosqlite:///{self.data_dir / 'jarvis.db'}"


def _setting_name(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings, turning validation errors into one ConfigError that names each setting and its fix."""
    if config_file is None and os.environ.get("JARVIS_CONFIG_FILE"):
        config_file = Path(os.environ["JARVIS_CONFIG_FILE"])
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(
                f"Le fichier de configuration {config_file} n'existe pas : vérifiez le chemin passé à --config "
                "ou JARVIS_CONFIG_FILE."
            )
        os.environ["JARVIS_CONFIG_FILE"] = str(config_file)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = _setting_name(error["loc"])
            env = "JARVIS_" + name.upper().replace(".", "__")
            lines.append(f"  - {name} ({env}) : {error['msg']}")
        raise ConfigError(
            "Réglages invalides :\n" + "\n".join(lines) + "\nCorrigez ces valeurs (variables d'environnement "
            "ou fichier YAML) puis relancez."
        ) from exc
    except (OSError, ValueError, yaml.YAMLError) as exc:  # unreadable or malformed YAML file
        raise ConfigError(f"Impossible de lire la configuration : {exc}") from exc
