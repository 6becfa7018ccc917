"""load_settings: defaults, JARVIS_* environment variables, YAML file, and readable ConfigError messages."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jarvis.config import ServerSettings, load_settings
from jarvis.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No JARVIS_* variable from the developer's shell, and JARVIS_CONFIG_FILE restored after each test."""
    for name in list(os.environ):
        if name.startswith("JARVIS_"):
            monkeypatch.delenv(name)
    # load_settings writes os.environ["JARVIS_CONFIG_FILE"] itself; registering it with monkeypatch first makes
    # monkeypatch restore (remove) it at teardown.
    monkeypatch.setenv("JARVIS_CONFIG_FILE", "")
    monkeypatch.delenv("JARVIS_CONFIG_FILE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    yield


def write_yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "jarvis.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def config_error(**kwargs: object) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(**kwargs)  # type: ignore[arg-type]
    assert info.value.code == "invalid-settings"
    return info.value.message


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.server.host == "127.0.0.1"
    assert settings.server.port == 8000
    assert settings.llm.backend == "llama_cpp"
    assert settings.chat.language == "fr"
    assert settings.auth.enabled is True
    assert settings.data_dir == tmp_path / "xdg" / "jarvis"
    assert settings.models_dir == settings.data_dir / "models"
    assert settings.database_url == f"sqlite+aiosqlite:///{settings.data_dir / 'jarvis.db'}"


def test_nested_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARVIS_SERVER__PORT", "9000")
    monkeypatch.setenv("JARVIS_LLM__MAX_TOKENS", "64")
    monkeypatch.setenv("JARVIS_AUTH__ENABLED", "false")
    settings = load_settings()
    assert settings.server.port == 9000
    assert settings.llm.max_tokens == 64
    assert settings.auth.enabled is False
    # Untouched siblings keep their defaults.
    assert settings.server.host == "127.0.0.1"
    assert settings.llm.temperature == 0.3


def test_null_in_the_environment_turns_an_optional_setting_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARVIS_VAD__SENTENCE_END_SILENCE_SECONDS", "null")
    monkeypatch.setenv("JARVIS_TTS__FIRST_PIECE_WAIT_SECONDS", "null")
    settings = load_settings()
    assert settings.vad.sentence_end_silence_seconds is None
    assert settings.tts.first_piece_wait_seconds is None
    assert settings.vad.early_stt_after_seconds == 0.15


def test_overrides_passed_as_arguments() -> None:
    settings = load_settings(server={"port": 8123})
    assert settings.server.port == 8123


def test_yaml_file_is_read(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, "server:\n  host: 0.0.0.0\n  port: 9001\nllm:\n  max_tokens: 100\n")
    settings = load_settings(path)
    assert settings.server.host == "0.0.0.0"
    assert settings.server.port == 9001
    assert settings.llm.max_tokens == 100
    assert settings.llm.backend == "llama_cpp"  # default kept for what the file does not set


def test_environment_overrides_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_yaml(tmp_path, "server:\n  host: 0.0.0.0\n  port: 9001\n")
    monkeypatch.setenv("JARVIS_SERVER__PORT", "9002")
    settings = load_settings(path)
    assert settings.server.port == 9002
    assert settings.server.host == "0.0.0.0"  # merged per field, not replaced per section


def test_invalid_env_value_names_setting_and_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARVIS_SERVER__PORT", "abc")
    message = config_error()
    assert "server.port" in message
    assert "JARVIS_SERVER__PORT" in message


def test_out_of_range_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARVIS_LLM__MAX_TOKENS", "0")
    message = config_error()
    assert "llm.max_tokens" in message
    assert "JARVIS_LLM__MAX_TOKENS" in message


def test_invalid_yaml_value_is_reported(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, "server:\n  port: 70000\n")
    message = config_error(config_file=path)
    assert "server.port" in message


def test_every_invalid_setting_is_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARVIS_SERVER__PORT", "abc")
    monkeypatch.setenv("JARVIS_LOG__LEVEL", "verbose")
    message = config_error()
    assert "server.port" in message
    assert "log.level" in message
    assert "JARVIS_LOG__LEVEL" in message


def test_openai_compat_requires_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARVIS_LLM__BACKEND", "openai_compat")
    message = config_error()
    assert "llm.base_url" in message


def test_openai_compat_with_base_url_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARVIS_LLM__BACKEND", "openai_compat")
    monkeypatch.setenv("JARVIS_LLM__BASE_URL", "http://127.0.0.1:11434/v1")
    settings = load_settings()
    assert settings.llm.backend == "openai_compat"
    assert settings.llm.base_url == "http://127.0.0.1:11434/v1"


def test_unknown_backend_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARVIS_LLM__BACKEND", "gpt")
    assert "llm.backend" in config_error()


def test_known_timezone_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARVIS_CHAT__TIMEZONE", "Europe/Paris")
    assert load_settings().chat.timezone == "Europe/Paris"


def test_unknown_timezone_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARVIS_CHAT__TIMEZONE", "Mars/Olympus_Mons")
    message = config_error()
    assert "chat.timezone" in message
    assert "JARVIS_CHAT__TIMEZONE" in message
    assert "Mars/Olympus_Mons" in message


def test_missing_config_file_raises(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_settings(missing)
    assert str(missing) in info.value.message
    assert "JARVIS_CONFIG_FILE" not in os.environ  # nothing recorded for a file that does not exist


def test_config_file_is_recorded_in_the_environment(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, "server:\n  port: 9003\n")
    settings = load_settings(path)
    assert os.environ["JARVIS_CONFIG_FILE"] == str(path)
    assert settings.config_file == path


def test_yaml_with_wrong_top_level_shape(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, "- a\n- b\n")
    with pytest.raises(ConfigError):
        load_settings(path)


def test_unknown_yaml_key_is_refused(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, "srever:\n  port: 9001\n")
    assert "srever" in config_error(config_file=path)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.0.0.53", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.2", False),
        ("jarvis.local", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert ServerSettings(host=host).is_loopback is expected


def test_malformed_yaml_is_a_config_error(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, "server: [unclosed\n")
    message = config_error(config_file=path)
    assert "Impossible de lire la configuration" in message


def test_missing_file_named_by_the_environment_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARVIS_CONFIG_FILE", str(tmp_path / "absent.yaml"))
    assert "absent.yaml" in config_error()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("notify.mobile_app_phone", "mobile_app_phone"), ("mobile_app_phone", "mobile_app_phone"), ("", None)],
)
def test_notify_service_names_a_notify_service(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str | None
) -> None:
    monkeypatch.setenv("JARVIS_HOME_ASSISTANT__NOTIFY_SERVICE", value)
    assert load_settings().home_assistant.notify_service == expected


def test_notify_service_of_another_domain_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARVIS_HOME_ASSISTANT__NOTIFY_SERVICE", "light.turn_on")
    assert "home_assistant.notify_service" in config_error()


def test_summary_budget_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().chat.summary_tokens == 600
    monkeypatch.setenv("JARVIS_CHAT__SUMMARY_TOKENS", "900")
    assert load_settings().chat.summary_tokens == 900
    monkeypatch.setenv("JARVIS_CHAT__SUMMARY_TOKENS", "10")
    assert "summary_tokens" in config_error()
