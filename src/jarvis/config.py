"""Settings: nested per area, from environment variables (JARVIS_…, nested with __) and an optional YAML file."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
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
    # Reverse proxies whose X-Forwarded-Proto/-For headers are believed (uvicorn's forwarded_allow_ips): IPs or
    # networks, "*" for any. Empty: the headers are ignored.
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])

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
    # The session cookie's Secure flag. auto: when the browser came over https (TLS at a trusted proxy, see
    # server.trusted_proxies); always: on every response (TLS terminated by a proxy that is not trusted).
    cookie_secure: Literal["auto", "always"] = "auto"


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


# Words Jarvis expects to hear: a Whisper prompt with the verbs and phrasings of Home Assistant's French intents
# (lights, covers, locks, media, timers) cuts errors on spoken commands. On the French recordings of ../shared/speech
# (Whisper base, a 20 s window) it took the WER of the 29 commands from 0.26 (a shorter prompt) to 0.17, and that of
# the 10 read sentences from 0.30 to 0.27.
DEFAULT_STT_PROMPT_FR = (
    "Jarvis, allume la lumière du salon, éteins toutes les lumières, ferme les volets, ouvre les rideaux du "
    "rez-de-chaussée, verrouille ou déverrouille la porte d'entrée, mets la chambre à 50 %, quel temps fait-il, "
    "règle le chauffage à 21 degrés, lance un minuteur de 10 minutes, combien de temps reste-t-il, mets en pause, "
    "média suivant, annuler."
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
    # Whisper's encoder reads 30 s of audio whatever the clip's length; a short clip is encoded in a window of this
    # length (or the clip plus 1 s) instead: about twice as fast for commands, and as accurate on the test
    # recordings (see jarvis.stt.faster_whisper). 30 restores Whisper's own window.
    window_seconds: float = Field(14.0, ge=2, le=30)
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
    # When that early result is a whole command the fast path knows (« allume la lumière du salon »), the
    # utterance ends at once instead of after the rest of the silence.
    end_on_command: bool = True
    # When it reads as a whole sentence (Whisper's final « ? », « . » or « ! » after a word a sentence can end on,
    # not « de », « et », « euh »…), the utterance ends after this much silence instead of silence_seconds. None
    # turns it off.
    sentence_end_silence_seconds: float | None = Field(0.4, gt=0)


class WakeWordSettings(BaseModel):
    """Hands-free WebSocket sessions (VAD mode) can wait for "Hey Jarvis" before listening (pyopen-wakeword)."""

    enabled: bool = False  # a session may still ask for it in audio-start ("wake_word": true)
    model: Literal["hey_jarvis", "alexa", "hey_mycroft", "okay_nabu", "hey_rhasspy"] = "hey_jarvis"
    threshold: float = Field(0.5, gt=0, lt=1)
    # After the wake word, back to waiting for it if no speech starts within this time.
    listen_seconds: float = Field(8.0, gt=0)


class TtsSettings(BaseModel):
    backend: Literal["kokoro", "espeak", "piper"] = "kokoro"
    voice: str = "ff_siwis"  # a voice file name in the voices directory, or a blend "ff_siwis:0.7,em_alex:0.3"
    # piper: any Piper voice file (model.onnx, with model.onnx.json beside it); None: the packaged English voice.
    piper_voice: Path | None = None
    piper_speaker: str | None = None  # a speaker of a multi-speaker Piper voice
    speed: float = Field(1.0, ge=0.5, le=2.0)
    model_path: Path | None = None
    voices_dir: Path | None = None
    threads: int | None = Field(None, ge=1)
    espeak_voice: str = "fr"
    # kokoro/piper: when the model cannot load or a synthesis fails in the engine, speak with espeak-ng instead.
    fallback: bool = True
    # The first piece of a reply may stop at a comma, or before a word opening a clause (« et », « avec »…), once it
    # is this long, so that the first audio comes sooner.
    first_clause_min_chars: int = Field(10, ge=1)
    # When the first piece has no clause end this long after the reply's first words, it stops at the last word a
    # phrase can end on (« Le livre Les Misérables a été écrit | par Victor Hugo »), so the voice starts while the
    # model writes the rest. None: the first piece always waits for a clause end.
    first_piece_wait_seconds: float | None = Field(0.3, gt=0)
    # While the voice makes audio the listener is waiting for, the embedded LLM pauses between tokens, so the
    # voice has every core (on small machines the first audio comes sooner; the LLM catches up during playback).
    audio_first: bool = True
    # kokoro/piper: how many short phrases (« C'est fait, ») to keep once synthesized, so that they are said at once
    # the next time; 0 turns it off.
    phrase_cache: int = Field(64, ge=0, le=10_000)
    max_text_chars: int = Field(2000, ge=1)
    # Per synthesis call (one sentence in a spoken reply).
    timeout_seconds: float = Field(30.0, gt=0)


class StoreSettings(BaseModel):
    # SQLAlchemy async URL; default: SQLite file jarvis.db in data_dir.
    url: str | None = None
    # Encrypt message text and conversation titles at rest (Fernet). Key: encryption_key (one key, or several
    # separated by commas, newest first) or else the 0600 file encryption_key_file (default data_dir/jarvis.key,
    # created on first use).
    encryption: bool = False
    encryption_key: SecretStr | None = None
    encryption_key_file: Path | None = None


class BackupSettings(BaseModel):
    """Scheduled backups made by the running server (SQLite online backup)."""

    enabled: bool = False
    interval_hours: float = Field(24.0, gt=0)
    keep: int = Field(7, ge=1)
    dir: Path | None = None  # default: data_dir/backups


class MqttSettings(BaseModel):
    """Publish Jarvis's state and events to an MQTT broker and take commands from it."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    topic_prefix: str = Field("jarvis", min_length=1, pattern=r"^[^#+]+$")
    client_id: str | None = None
    keepalive_seconds: int = Field(30, ge=5)
    reconnect_max_seconds: float = Field(60.0, gt=0)
    # Chat turns asked over MQTT; a message longer than chat.max_message_chars is refused like any other.
    commands: bool = True


class MemorySettings(BaseModel):
    enabled: bool = True
    # Learn durable facts from conversation with the LLM, in the background after each turn.
    learn: bool = True
    # At most this many memories go into a prompt, and only those scoring at least min_score (0-1).
    recall_limit: int = Field(3, ge=0, le=20)
    min_score: float = Field(0.25, ge=0, le=1)
    # Retention class of memories made by "souviens-toi que …".
    default_retention: Literal["permanent", "important", "normal", "temporary", "auto_delete"] = "normal"
    # How often expired memories are deleted.
    retention_check_seconds: float = Field(3600.0, gt=0)


class ChatSettings(BaseModel):
    language: str = Field("fr", pattern=r"^[a-z]{2}$")
    timezone: str | None = None
    max_message_chars: int = Field(4000, ge=1)
    # Tokens of past turns put in the prompt; older turns are left out.
    history_tokens: int = Field(2048, ge=0)
    # Tokens the summary of older turns may take; past it, its oldest parts are dropped.
    summary_tokens: int = Field(600, ge=100)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {value!r} (use a name such as Europe/Paris)") from exc
        return value


class ToolsSettings(BaseModel):
    """The tool loop: the model may call tools (built-ins, plugins, MCP servers) before it answers."""

    enabled: bool = True
    # Tool rounds per turn before Jarvis gives up and says so.
    max_steps: int = Field(4, ge=1, le=20)
    # Per tool call; a hanging plugin tool disables its plugin.
    timeout_seconds: float = Field(10.0, gt=0)


class TimerSettings(BaseModel):
    min_seconds: float = Field(1.0, gt=0)
    max_seconds: float = Field(30 * 86400, gt=0)  # 30 days


class PluginSettings(BaseModel):
    enabled: bool = True
    # Python files loaded as plugins; default data_dir/plugins. Reloaded when a file changes.
    dir: Path | None = None
    watch: bool = True
    # Also load the installed packages of the entry-point group `jarvis.plugins`.
    entry_points: bool = True


class McpServerSettings(BaseModel):
    """One Model Context Protocol server whose tools Jarvis may call."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    transport: Literal["stdio", "http"] = "stdio"
    # stdio: the command that starts the server.
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    # http: the streamable HTTP endpoint, e.g. http://127.0.0.1:8765/mcp
    url: str | None = None
    # Put before each tool name (e.g. "notes_"), when two servers offer tools of the same name.
    tool_prefix: str = Field("", pattern=r"^[A-Za-z0-9_-]{0,20}$")
    connect_timeout_seconds: float = Field(20.0, gt=0)
    # Wait this long before trying again a server that is down.
    retry_seconds: float = Field(30.0, gt=0)

    @model_validator(mode="after")
    def _needs_target(self) -> McpServerSettings:
        if self.transport == "stdio" and not self.command:
            raise ValueError(f"mcp server {self.name}: command is required for the stdio transport")
        if self.transport == "http" and not self.url:
            raise ValueError(f"mcp server {self.name}: url is required for the http transport")
        return self


class McpSettings(BaseModel):
    servers: list[McpServerSettings] = Field(default_factory=list)


class HomeAssistantSettings(BaseModel):
    """Home Assistant: Jarvis acts on the house through its REST and WebSocket API (off while url is empty)."""

    url: str | None = None  # e.g. http://homeassistant.local:8123
    token: str | None = None  # a long-lived access token (HA profile page -> Security)
    # Each REST/WebSocket request; an unreachable or slow Home Assistant gets a clear answer within this bound.
    timeout_seconds: float = Field(5.0, gt=0)
    # After an action, how long to wait for Home Assistant to report the new state before saying it failed.
    verify_timeout_seconds: float = Field(3.0, gt=0)
    # Reconnection backoff after the WebSocket drops (doubles up to the maximum).
    reconnect_min_seconds: float = Field(0.5, gt=0)
    reconnect_max_seconds: float = Field(30.0, gt=0)
    # Actions on these domains are only done after a spoken "oui" on the next turn.
    sensitive_domains: list[str] = Field(default_factory=lambda: ["lock", "alarm_control_panel", "cover"])
    # How long a question ("which one?", "are you sure?") waits for its answer.
    pending_seconds: float = Field(60.0, gt=0)
    # Finished timers and reminders are also sent to this notify service (e.g. "notify.mobile_app_phone"); off
    # when empty. A notification that fails is logged and never stops the timer.
    notify_service: str | None = None
    # The code sent to alarm panels that ask for one (arming with code_arm_required, disarming); without it Jarvis
    # says the code is needed instead of failing in Home Assistant.
    alarm_code: SecretStr | None = None

    @field_validator("notify_service")
    @classmethod
    def _notify_service(cls, value: str | None) -> str | None:
        name = (value or "").strip().removeprefix("notify.")
        if not name:
            return None
        if not name.replace("_", "").isalnum() or not name.isascii():
            raise ValueError(f"not a notify service: {value!r} (e.g. notify.mobile_app_phone)")
        return name

    @property
    def enabled(self) -> bool:
        return bool(self.url)


class LogSettings(BaseModel):
    level: Literal["debug", "info", "warning", "error"] = "info"
    json_format: bool | None = None  # None: JSON when stderr is not a terminal


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="JARVIS_",
        env_nested_delimiter="__",
        env_parse_none_str="null",  # JARVIS_VAD__EARLY_STT_AFTER_SECONDS=null turns an optional setting off
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    config_file: Path | None = None
    server: ServerSettings = Field(default_factory=ServerSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    stt: SttSettings = Field(default_factory=SttSettings)
    vad: VadSettings = Field(default_factory=VadSettings)
    wake_word: WakeWordSettings = Field(default_factory=WakeWordSettings)
    tts: TtsSettings = Field(default_factory=TtsSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    tools: ToolsSettings = Field(default_factory=ToolsSettings)
    timers: TimerSettings = Field(default_factory=TimerSettings)
    plugins: PluginSettings = Field(default_factory=PluginSettings)
    mcp: McpSettings = Field(default_factory=McpSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    home_assistant: HomeAssistantSettings = Field(default_factory=HomeAssistantSettings)

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
    def backup_dir(self) -> Path:
        return self.backup.dir or self.data_dir / "backups"

    @property
    def plugins_dir(self) -> Path:
        return self.plugins.dir or self.data_dir / "plugins"

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
