"""Real processes for integration tests: the Jarvis server and llama.cpp's OpenAI-compatible server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from jarvis.config import Settings
from jarvis.models.catalog import CATALOG, LLM_DEFAULT, STT_DEFAULT, TTS_DEFAULT, VOICES

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepared(name: str) -> Path:
    """A catalog model as prepared by `jarvis setup` in the default data directory (make test runs it first)."""
    path = CATALOG[name].path(Settings().models_dir)
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `make setup` (or `jarvis setup`) before the integration tests")
    return path


def prepared_model_path() -> Path:
    return prepared(LLM_DEFAULT)


def prepared_models_env() -> dict[str, str]:
    """Point a server with its own data directory at the models prepared once in the default one."""
    kokoro = CATALOG[TTS_DEFAULT]
    return {
        "JARVIS_LLM__MODEL_PATH": str(prepared_model_path()),
        "JARVIS_STT__MODEL_PATH": str(prepared(STT_DEFAULT)),
        "JARVIS_TTS__MODEL_PATH": str(kokoro.target(Settings().models_dir, kokoro.files[0])),
        "JARVIS_TTS__VOICES_DIR": str(prepared(VOICES)),
    }


def jarvis_env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JARVIS_")}
    env.update(
        {
            "JARVIS_DATA_DIR": str(data_dir),
            **prepared_models_env(),
            "JARVIS_LLM__MAX_TOKENS": "48",
            "JARVIS_LLM__TEMPERATURE": "0",
            # Learning from conversation runs the LLM in the background: only the memory tests turn it on.
            "JARVIS_MEMORY__LEARN": "false",
            "JARVIS_LOG__JSON_FORMAT": "true",
            "HF_HUB_OFFLINE": "1",
        }
    )
    env.update(extra or {})
    return env


def run_cli(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jarvis", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def wait_http(
    url: str, *, timeout: float, expect: tuple[int, ...] = (200,), process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code in expect:
                return
            last = f"HTTP {response.status_code} {response.text[:200]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout} s: {last}")


@dataclass
class JarvisServer:
    """`jarvis serve` in its own process, with its own data directory and an API token."""

    data_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    token: str = ""
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return jarvis_env(self.data_dir, {"JARVIS_SERVER__PORT": str(self.port), **self.extra_env})

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, timeout: float = 180) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers, timeout=timeout)

    def start(self, *, wait_ready: bool = True) -> JarvisServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.token:
            created = run_cli("token", "create", "--name", "tests", env=self.env)
            assert created.returncode == 0, created.stderr
            self.token = created.stdout.strip()
        ARTIFACTS.mkdir(exist_ok=True)
        self.log_path = ARTIFACTS / f"jarvis-{self.port}.log"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jarvis", "serve"], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        if wait_ready:
            # Ready means the model is loaded and its prompt prefix evaluated: minutes on a loaded 2-core machine.
            wait_http(f"{self.url}/ready", timeout=600, process=self.process)
        else:
            wait_http(f"{self.url}/health", timeout=60, process=self.process)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@dataclass
class LlamaCppServer:
    """llama-cpp-python's own OpenAI-compatible server: the real peer for the openai_compat backend."""

    model_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LlamaCppServer:
        ARTIFACTS.mkdir(exist_ok=True)
        log = (ARTIFACTS / f"llama-server-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(self.model_path),
                "--model_alias",
                "qwen-local",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--n_ctx",
                "4096",
                "--n_threads",
                "2",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_http(f"{self.base_url}/models", timeout=180, process=self.process)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
