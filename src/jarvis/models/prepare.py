"""Assemble model files from installed part packages into data_dir/models, verified by SHA-256."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jarvis.errors import SetupError
from jarvis.models.catalog import ModelPart, ModelSpec

CHUNK_BYTES = 8 * 1024 * 1024
ProgressCallback = Callable[[int], None]


@dataclass(frozen=True)
class ModelStatus:
    spec: ModelSpec
    path: Path
    present: bool
    verified: bool  # the recorded checksum matches the pinned one and the file has not changed since
    parts_installed: bool


def part_path(part: ModelPart) -> Path | None:
    """Where an installed part package keeps its file, or None when the package is not installed."""
    try:
        found = importlib.util.find_spec(part.module)
    except ModuleNotFoundError:  # a dotted name whose parent package is missing
        return None
    if found is None or not found.submodule_search_locations:
        return None
    path = Path(next(iter(found.submodule_search_locations))) / part.path
    return path if path.is_file() else None


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _stamp_matches(spec: ModelSpec, target: Path) -> bool:
    stamp = _stamp_path(target)
    try:
        recorded = json.loads(stamp.read_text())
        stat = target.stat()
    except (OSError, ValueError):
        return False
    return bool(
        recorded.get("sha256") == spec.sha256
        and recorded.get("size") == stat.st_size == spec.size_bytes
        and recorded.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_stamp(spec: ModelSpec, target: Path) -> None:
    stat = target.stat()
    _stamp_path(target).write_text(
        json.dumps({"sha256": spec.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    )


def status(spec: ModelSpec, models_dir: Path) -> ModelStatus:
    target = models_dir / spec.filename
    return ModelStatus(
        spec=spec,
        path=target,
        present=target.is_file(),
        verified=_stamp_matches(spec, target),
        parts_installed=all(part_path(part) is not None for part in spec.parts),
    )


def sha256_file(path: Path, progress: ProgressCallback | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            if progress:
                progress(len(chunk))
    return digest.hexdigest()


def verify(spec: ModelSpec, models_dir: Path, progress: ProgressCallback | None = None) -> bool:
    """Hash the prepared file in full; record the result so that later runs can skip the hash."""
    target = models_dir / spec.filename
    if not target.is_file() or target.stat().st_size != spec.size_bytes:
        return False
    if sha256_file(target, progress) != spec.sha256:
        return False
    _write_stamp(spec, target)
    return True


def assemble(spec: ModelSpec, models_dir: Path, progress: ProgressCallback | None = None) -> Path:
    """Concatenate the parts in order into a temporary file, check size and SHA-256, then move it in place."""
    sources: list[Path] = []
    for part in spec.parts:
        source = part_path(part)
        if source is None:
            raise SetupError(
                f"Le paquet {part.module} (fichier {part.path}) n'est pas installé : "
                f"installez-le avec {spec.install_hint}, puis relancez « jarvis setup »."
            )
        sources.append(source)
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / spec.filename
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as out:
            for source in sources:
                with source.open("rb") as handle:
                    while chunk := handle.read(CHUNK_BYTES):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                        if progress:
                            progress(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        if size != spec.size_bytes or digest.hexdigest() != spec.sha256:
            raise SetupError(
                f"Le modèle {spec.name} assemblé ne correspond pas à la somme de contrôle attendue "
                f"({size} octets, SHA-256 {digest.hexdigest()[:16]}…). Réinstallez les paquets : "
                f"{spec.install_hint}."
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    _write_stamp(spec, target)
    return target
