"""Model assembly from part packages: concatenation in order, SHA-256 check, verification stamp."""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jarvis.errors import SetupError
from jarvis.models import prepare
from jarvis.models.catalog import ModelFile, ModelSpec, PackagePart

PART1 = b"GGUF" + bytes(range(256)) * 3
PART2 = b"second part \x00\xff" * 50
CONTENT = PART1 + PART2
PACKAGE = "fakeparts_pkg"


@pytest.fixture
def parts_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    package = tmp_path / "site" / PACKAGE
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "data" / "part01.bin").write_bytes(PART1)
    (package / "data" / "part02.bin").write_bytes(PART2)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    yield package
    sys.modules.pop(PACKAGE, None)


def make_spec(sha256: str | None = None, size: int | None = None, module: str = PACKAGE) -> ModelSpec:
    return ModelSpec(
        name="fake-model",
        kind="llm",
        files=(
            ModelFile(
                "fake-model.gguf",
                len(CONTENT) if size is None else size,
                hashlib.sha256(CONTENT).hexdigest() if sha256 is None else sha256,
                parts=(PackagePart(module, "data/part01.bin"), PackagePart(module, "data/part02.bin")),
            ),
        ),
        install_hint="pip install fakeparts",
        licence="test",
    )


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "data" / "models"  # does not exist yet: assemble() creates it


def test_part_path_finds_installed_files(parts_package: Path) -> None:
    assert prepare.part_path(PackagePart(PACKAGE, "data/part01.bin")) == parts_package / "data" / "part01.bin"
    assert prepare.part_path(PackagePart(PACKAGE, "data/part99.bin")) is None
    assert prepare.part_path(PackagePart("fakeparts_not_installed", "data/part01.bin")) is None


def test_status_before_assembly(parts_package: Path, models_dir: Path) -> None:
    status = prepare.status(make_spec(), models_dir)
    assert status.present is False
    assert status.verified is False
    assert status.sources_available is True
    assert status.path == models_dir / "fake-model.gguf"


def test_assemble_concatenates_parts_in_order(parts_package: Path, models_dir: Path) -> None:
    target = prepare.assemble(make_spec(), models_dir)
    assert target == models_dir / "fake-model.gguf"
    assert target.read_bytes() == PART1 + PART2
    assert not (models_dir / "fake-model.gguf.partial").exists()


def test_progress_receives_the_total_byte_count(parts_package: Path, models_dir: Path) -> None:
    seen: list[int] = []
    prepare.assemble(make_spec(), models_dir, progress=seen.append)
    assert sum(seen) == len(CONTENT)
    assert all(n > 0 for n in seen)


def test_status_verified_after_assembly(parts_package: Path, models_dir: Path) -> None:
    spec = make_spec()
    prepare.assemble(spec, models_dir)
    status = prepare.status(spec, models_dir)
    assert status.present is True
    assert status.verified is True


def test_touched_file_is_no_longer_verified_until_rehashed(parts_package: Path, models_dir: Path) -> None:
    spec = make_spec()
    target = prepare.assemble(spec, models_dir)
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert prepare.status(spec, models_dir).verified is False
    # The content is unchanged: a full verification succeeds and records a fresh stamp.
    hashed: list[int] = []
    assert prepare.verify(spec, models_dir, progress=hashed.append) is True
    assert sum(hashed) == len(CONTENT)  # it really re-read the file
    assert prepare.status(spec, models_dir).verified is True


def test_modified_file_fails_verification(parts_package: Path, models_dir: Path) -> None:
    spec = make_spec()
    target = prepare.assemble(spec, models_dir)
    corrupted = bytearray(CONTENT)
    corrupted[10] ^= 0xFF  # same size, different bytes
    target.write_bytes(bytes(corrupted))
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))  # coarse-mtime filesystems
    assert prepare.status(spec, models_dir).verified is False
    assert prepare.verify(spec, models_dir) is False
    assert prepare.status(spec, models_dir).verified is False


def test_truncated_file_fails_verification(parts_package: Path, models_dir: Path) -> None:
    spec = make_spec()
    target = prepare.assemble(spec, models_dir)
    target.write_bytes(CONTENT[:-1])
    assert prepare.status(spec, models_dir).verified is False
    assert prepare.verify(spec, models_dir) is False


def test_verify_missing_file(parts_package: Path, models_dir: Path) -> None:
    assert prepare.verify(make_spec(), models_dir) is False


def test_stamp_for_another_checksum_is_not_trusted(parts_package: Path, models_dir: Path) -> None:
    prepare.assemble(make_spec(), models_dir)
    other = make_spec(sha256="0" * 64)
    assert prepare.status(other, models_dir).verified is False


def test_wrong_checksum_raises_and_leaves_nothing(parts_package: Path, models_dir: Path) -> None:
    spec = make_spec(sha256="0" * 64)
    with pytest.raises(SetupError) as info:
        prepare.assemble(spec, models_dir)
    assert "fake-model" in info.value.message
    assert info.value.code == "setup-failed"
    assert list(models_dir.iterdir()) == []  # neither the model, nor .partial, nor a stamp


def test_wrong_size_raises_and_leaves_nothing(parts_package: Path, models_dir: Path) -> None:
    with pytest.raises(SetupError):
        prepare.assemble(make_spec(size=len(CONTENT) + 1), models_dir)
    assert list(models_dir.iterdir()) == []


def test_missing_part_package_names_the_module(tmp_path: Path, models_dir: Path) -> None:
    spec = make_spec(module="fakeparts_missing_pkg")
    assert prepare.status(spec, models_dir).sources_available is False
    with pytest.raises(SetupError) as info:
        prepare.assemble(spec, models_dir)
    assert "fakeparts_missing_pkg" in info.value.message
    assert "pip install fakeparts" in info.value.message  # the install hint
    assert not models_dir.exists()  # nothing created before the parts were found


def test_missing_part_file_names_the_module(parts_package: Path, models_dir: Path) -> None:
    (parts_package / "data" / "part02.bin").unlink()
    spec = make_spec()
    assert prepare.status(spec, models_dir).sources_available is False
    with pytest.raises(SetupError) as info:
        prepare.assemble(spec, models_dir)
    assert PACKAGE in info.value.message
    assert "data/part02.bin" in info.value.message


def test_sha256_file(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(CONTENT)
    assert prepare.sha256_file(path) == hashlib.sha256(CONTENT).hexdigest()


def test_directory_model_with_several_files(parts_package: Path, models_dir: Path) -> None:
    spec = ModelSpec(
        name="fake-dir",
        kind="stt",
        directory="fake-dir",
        files=(
            ModelFile(
                "model.bin",
                len(CONTENT),
                hashlib.sha256(CONTENT).hexdigest(),
                parts=(PackagePart(PACKAGE, "data/part01.bin"), PackagePart(PACKAGE, "data/part02.bin")),
            ),
            ModelFile(
                "config.bin",
                len(PART2),
                hashlib.sha256(PART2).hexdigest(),
                parts=(PackagePart(PACKAGE, "data/part02.bin"),),
            ),
        ),
        install_hint="pip install fakeparts",
        licence="test",
    )
    assert prepare.assemble(spec, models_dir) == models_dir / "fake-dir"
    assert (models_dir / "fake-dir" / "model.bin").read_bytes() == CONTENT
    assert (models_dir / "fake-dir" / "config.bin").read_bytes() == PART2
    assert prepare.status(spec, models_dir).verified is True
    # A second run keeps the verified files (progress still accounts for them).
    seen: list[int] = []
    prepare.assemble(spec, models_dir, progress=seen.append)
    assert sum(seen) == spec.size_bytes
