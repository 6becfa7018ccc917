"""The real `jarvis` command line, run in a subprocess the way a user runs it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import wave
from pathlib import Path

import httpx
import llama_cpp
import numpy as np
import pytest

from tests.french import looks_french
from tests.servers import JarvisServer, free_port, jarvis_env, prepared_model_path, run_cli
from tests.speech import clip, wer

pytestmark = pytest.mark.slow

# Rich wraps at 80 columns when stdout is not a terminal; a wide console keeps messages and table rows whole.
WIDE = {"COLUMNS": "300"}


def cli_env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    return jarvis_env(data_dir, {**WIDE, **(extra or {})})


def flat(text: str) -> str:
    """The text with every run of whitespace (line wraps included) turned into one space."""
    return " ".join(text.split())


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["chat"],
        ["ask"],
        ["setup"],
        ["doctor"],
        ["token"],
        ["token", "create"],
        ["token", "list"],
        ["token", "revoke"],
        ["bench"],
        ["bench", "llm"],
    ],
    ids=lambda c: " ".join(c) or "root",
)
def test_help_works_for_every_command(command: list[str], tmp_path: Path) -> None:
    result = run_cli(*command, "--help", env=cli_env(tmp_path), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
    assert not (tmp_path / "jarvis.db").exists(), "--help must not touch the data directory"


def test_ask_answers_in_french_and_keeps_its_local_token(server: JarvisServer) -> None:
    env = cli_env(server.data_dir)
    token_file = server.data_dir / "cli-token"
    token_file.unlink(missing_ok=True)  # so this test sees the first use create it

    first = run_cli("ask", "Bonjour ! Présente-toi en une phrase.", "--url", server.url, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip(), first.stderr
    assert looks_french(first.stdout), first.stdout
    assert token_file.is_file()
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    secret = token_file.read_text()
    assert secret.strip().startswith("jv_")
    # The file holds a token the server accepts.
    listed = httpx.get(f"{server.url}/api/conversations", headers={"Authorization": f"Bearer {secret.strip()}"})
    assert listed.status_code == 200

    second = run_cli("ask", "Dis juste « merci ».", "--url", server.url, env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip()
    assert token_file.read_text() == secret
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


def test_ask_right_after_the_server_starts_waits_for_the_model(tmp_path: Path) -> None:
    """`jarvis serve` answers /health at once but loads its model and evaluates its long prompt for a while: a first
    question sent then used to wait behind all of it and time out. `jarvis ask` waits until the model is ready.
    (The first-token limit here is shorter than that evaluation, so a question sent too early would fail.)"""
    jarvis = JarvisServer(tmp_path / "data", extra_env={"JARVIS_LLM__FIRST_TOKEN_TIMEOUT_SECONDS": "8"})
    jarvis.start(wait_ready=False)
    try:
        assert httpx.get(f"{jarvis.url}/ready", timeout=10).status_code == 503  # still loading
        result = run_cli("ask", "Bonjour !", "--url", jarvis.url, env=cli_env(jarvis.data_dir), timeout=600)
        assert result.returncode == 0, result.stderr
        assert looks_french(result.stdout), result.stdout
    finally:
        jarvis.stop()


def test_ask_without_a_server_says_to_start_one(tmp_path: Path) -> None:
    port = free_port()  # bound then released: nobody listens there
    result = run_cli("ask", "Bonjour", "--url", f"http://127.0.0.1:{port}", env=cli_env(tmp_path), timeout=60)
    assert result.returncode == 3, result.stderr
    assert "jarvis serve" in flat(result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def test_ask_with_a_wrong_token_fails_with_exit_code_3(server: JarvisServer, tmp_path: Path) -> None:
    result = run_cli(
        "ask", "Bonjour", "--url", server.url, "--token", "jv_not-a-real-token", env=cli_env(tmp_path), timeout=60
    )
    assert result.returncode == 3, result.stderr
    assert "Jeton invalide" in flat(result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def test_ask_with_a_wrong_token_names_the_error_code(server: JarvisServer, tmp_path: Path) -> None:
    result = run_cli(
        "ask", "Bonjour", "--url", server.url, "--token", "jv_not-a-real-token", env=cli_env(tmp_path), timeout=60
    )
    assert result.returncode == 3
    assert "auth-invalid" in result.stderr, result.stderr


def test_ask_without_a_model_tells_how_to_prepare_it(modelless_server: JarvisServer) -> None:
    result = run_cli("ask", "Bonjour", "--url", modelless_server.url, env=cli_env(modelless_server.data_dir))
    message = flat(result.stderr)
    assert "llm-unavailable" in message, result.stderr
    assert "jarvis setup" in message
    assert "Traceback" not in result.stderr


def test_ask_without_a_model_exits_non_zero(modelless_server: JarvisServer) -> None:
    result = run_cli("ask", "Bonjour", "--url", modelless_server.url, env=cli_env(modelless_server.data_dir))
    assert result.returncode == 3, result.stderr


def test_interactive_chat_answers_then_quits(server: JarvisServer) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "jarvis", "chat", "--url", server.url],
        env=cli_env(server.data_dir),
        input="Bonjour, réponds en un mot.\n/quit\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "jarvis ›" in result.stdout, result.stdout
    answer = result.stdout.split("jarvis ›", 1)[1].split("vous ›", 1)[0]
    assert answer.strip(), result.stdout
    assert "Erreur" not in result.stderr, result.stderr


def test_token_lifecycle_against_the_live_server(server: JarvisServer) -> None:
    env = cli_env(server.data_dir)

    created = run_cli("token", "create", "--name", "a", env=env, timeout=60)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("jv_")
    assert len(secret.splitlines()) == 1, "stdout must hold only the token (scripts capture it)"
    headers = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(f"{server.url}/api/conversations", headers=headers).status_code == 200

    listed = run_cli("token", "list", env=env, timeout=60)
    assert listed.returncode == 0, listed.stderr
    rows = [line for line in listed.stdout.splitlines() if "│ a " in line]
    assert len(rows) == 1, listed.stdout
    assert "actif" in rows[0]
    assert secret not in listed.stdout

    again = run_cli("token", "create", "--name", "a", env=env, timeout=60)
    assert again.returncode != 0
    assert not again.stdout.strip()
    assert "existe déjà" in flat(again.stderr), again.stderr

    revoked = run_cli("token", "revoke", "a", env=env, timeout=60)
    assert revoked.returncode == 0, revoked.stderr
    refused = httpx.get(f"{server.url}/api/conversations", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "auth-invalid"
    listed = run_cli("token", "list", env=env, timeout=60)
    assert "révoqué" in next(line for line in listed.stdout.splitlines() if "│ a " in line)
    # The server's own token still works: only "a" was revoked.
    assert httpx.get(f"{server.url}/api/conversations", headers=server.headers).status_code == 200


def test_revoking_an_unknown_token_fails_clearly(server: JarvisServer) -> None:
    result = run_cli("token", "revoke", "nobody-has-this-name", env=cli_env(server.data_dir), timeout=60)
    assert result.returncode != 0
    message = flat(result.stderr)
    assert "nobody-has-this-name" in message, result.stderr
    assert "jarvis token list" in message
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"JARVIS_SERVER__PORT": "notaport"}, ["server.port", "JARVIS_SERVER__PORT"]),
        ({"JARVIS_LLM__BACKEND": "openai_compat"}, ["llm.base_url", "JARVIS_LLM__BASE_URL"]),
        ({"JARVIS_LLM__TEMPERATURE": "5"}, ["llm.temperature", "JARVIS_LLM__TEMPERATURE"]),
        ({"JARVIS_CHAT__TIMEZONE": "Mars/Base"}, ["chat.timezone", "JARVIS_CHAT__TIMEZONE", "Mars/Base"]),
    ],
    ids=["port", "openai-without-url", "temperature", "timezone"],
)
def test_invalid_settings_stop_with_exit_code_2(extra: dict[str, str], expected: list[str], tmp_path: Path) -> None:
    result = run_cli("token", "list", env=cli_env(tmp_path, extra), timeout=60)
    assert result.returncode == 2, result.stderr
    message = flat(result.stderr)
    for fragment in expected:
        assert fragment in message, result.stderr
    assert "Traceback" not in result.stderr


def test_missing_config_file_stops_with_exit_code_2(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = run_cli("token", "list", "--config", str(missing), env=cli_env(tmp_path), timeout=60)
    assert result.returncode == 2, result.stderr
    message = flat(result.stderr)
    assert str(missing) in message, result.stderr
    assert "--config" in message


def test_invalid_yaml_setting_is_named(tmp_path: Path) -> None:
    config = tmp_path / "jarvis.yaml"
    config.write_text("server:\n  port: abc\n")
    result = run_cli("token", "list", "--config", str(config), env=cli_env(tmp_path), timeout=60)
    assert result.returncode == 2, result.stderr
    assert "server.port" in flat(result.stderr), result.stderr


def test_serve_refuses_a_public_address_without_auth(tmp_path: Path) -> None:
    env = cli_env(tmp_path, {"JARVIS_AUTH__ENABLED": "false", "JARVIS_SERVER__PORT": str(free_port())})
    result = run_cli("serve", "--host", "0.0.0.0", env=env, timeout=30)
    assert result.returncode == 2, result.stderr
    message = flat(result.stderr)
    assert "0.0.0.0" in message, result.stderr
    assert "JARVIS_AUTH__ENABLED" in message


def test_setup_is_idempotent_when_the_model_is_ready() -> None:
    # The default data directory, where the model was prepared before the tests.
    env = {k: v for k, v in os.environ.items() if not k.startswith("JARVIS_")}
    env.update(WIDE)
    result = run_cli("setup", env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "déjà prêt" in flat(result.stdout), result.stdout


def test_doctor_reports_the_missing_catalog_model_and_the_llm_speed(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data", {"JARVIS_LLM__MODEL_PATH": str(prepared_model_path())})
    result = run_cli("doctor", env=env, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "jarvis setup" in out, out
    llm_line = next(line for line in out.splitlines() if "LLM llama_cpp" in line)
    assert "jetons/s" in llm_line, out
    assert "✓" in llm_line, out
    # The instruction sets llama.cpp runs with, as the install script chose them for this CPU.
    avx512 = {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni", "avx512vbmi", "avx512_bf16"}
    has_avx512 = avx512 <= set(Path("/proc/cpuinfo").read_text().split())
    expected = "AVX2+AVX512+AVX512_VNNI+AVX512_BF16" if has_avx512 else "AVX2"
    assert f"llama-cpp-python {llama_cpp.__version__} {expected}," in llm_line, llm_line
    database_line = next(line for line in out.splitlines() if "base de données" in line)
    assert "intégrité : ok" in database_line, out


def test_transcribe_prints_the_words_and_says_when_none_were_said(tmp_path: Path) -> None:
    command = clip("fr/clip01.wav")  # « allume la chambre à 80% »
    done = run_cli("transcribe", str(command.path), env=cli_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert wer(command.transcript, done.stdout) <= 0.34, done.stdout
    noise = tmp_path / "bruit.wav"
    with wave.open(str(noise), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(np.random.default_rng(7).normal(0, 3000, 32000).astype("<i2").tobytes())
    done = run_cli("transcribe", str(noise), env=cli_env(tmp_path))
    assert done.returncode == 4 and done.stdout == "", (done.stdout, done.stderr)
    assert "Aucune parole détectée" in done.stderr
