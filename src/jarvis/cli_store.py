"""Command line for the data itself: `jarvis backup`, `jarvis restore` and `jarvis keys ...` (encryption at rest)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from jarvis.cli_common import ConfigOption, console, err, fail, settings_or_exit
from jarvis.config import Settings
from jarvis.errors import JarvisError
from jarvis.i18n import t

keys_app = typer.Typer(help="Gérer les clés du chiffrement des données (store.encryption).", no_args_is_help=True)
T = TypeVar("T")


def _progress() -> Progress:
    return Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    )


def _sqlite_path(settings: Settings) -> Path:
    from jarvis.store.db import Database

    db = Database(settings.database_url)
    try:
        if db.path is None:
            raise fail(t("backup-not-sqlite", url=settings.database_url))
        return db.path
    finally:
        asyncio.run(db.close())


def _run(work: Callable[[], T]) -> T:
    try:
        return work()
    except JarvisError as exc:
        raise fail(f"{exc.message} [{exc.code}]") from exc


def check_store(settings: Settings) -> None:
    """Before serving: the encryption settings fit the database (clear error and exit 2 otherwise)."""
    from jarvis.store.crypto import open_cipher
    from jarvis.store.db import Database

    async def check() -> None:
        db = Database(settings.database_url)
        try:
            await open_cipher(settings, db)
        finally:
            await db.close()

    try:
        asyncio.run(check())
    except JarvisError as exc:
        raise fail(exc.message, 2) from exc


def backup(
    path: Annotated[
        Path | None, typer.Argument(help="Fichier (ou dossier) de destination ; défaut : backup.dir.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Sauvegarder la base de données, même pendant que le serveur tourne (copie cohérente)."""
    from jarvis.store.backup import backup_file, backup_name

    settings = settings_or_exit(config)
    source = _sqlite_path(settings)
    target = path or settings.backup_dir
    if target.is_dir() or path is None:
        target = target / backup_name()
    if target.exists():
        raise fail(f"{target} existe déjà : choisissez un autre nom.")
    with _progress() as progress:
        task = progress.add_task("Sauvegarde (pages)", total=None)
        result = _run(
            lambda: backup_file(source, target, lambda done, total: progress.update(task, completed=done, total=total))
        )
    console.print(
        f"Sauvegarde écrite : [bold]{result.path}[/] ({result.size_bytes / 1e6:.1f} Mo, {result.seconds:.2f} s)."
    )
    if settings.store.encryption:
        err.print("[yellow]Les textes y sont chiffrés : gardez aussi la clé (à part), sans elle ils sont perdus.[/]")


def restore(
    path: Annotated[Path, typer.Argument(help="La sauvegarde à restaurer.")],
    config: ConfigOption = None,
) -> None:
    """Remplacer les données par une sauvegarde (serveur arrêté ; l'état actuel est d'abord sauvegardé)."""
    from jarvis.store.backup import backup_file, backup_name, check_backup, restore_file
    from jarvis.store.crypto import census_of_file, choose_cipher
    from jarvis.store.lock import DatabaseLock

    settings = settings_or_exit(config)
    live = _sqlite_path(settings)
    revision = _run(lambda: check_backup(path))
    _run(lambda: choose_cipher(settings, census_of_file(path)))  # a backup the configured key cannot read: refused
    lock = DatabaseLock(live)
    _run(lock.acquire)
    try:
        with _progress() as progress:
            if live.exists():
                safety = settings.backup_dir / backup_name(prefix="jarvis-before-restore-")
                task = progress.add_task("Copie de sûreté des données actuelles", total=None)
                _run(lambda: backup_file(live, safety, lambda d, n: progress.update(task, completed=d, total=n)))
                err.print(f"Données actuelles sauvegardées dans {safety}.")
            task = progress.add_task("Restauration (pages)", total=None)
            _run(lambda: restore_file(path, live, lambda d, n: progress.update(task, completed=d, total=n)))
        _run(lambda: asyncio.run(_migrate(settings)))
    finally:
        lock.release()
    console.print(f"Restauré depuis [bold]{path}[/] (schéma {revision}, mis à jour si besoin).")


async def _migrate(settings: Settings) -> None:
    """Bring a restored older schema up to date (the caller holds the database lock)."""
    from jarvis.store.crypto import census, choose_cipher
    from jarvis.store.db import Database

    db = Database(settings.database_url)
    try:
        db.use_cipher(choose_cipher(settings, await census(db)))
        await db.migrate()
    finally:
        await db.close()


# --- keys ---------------------------------------------------------------------------------------------------------


@keys_app.command("generate")
def keys_generate() -> None:
    """Afficher une nouvelle clé Fernet (pour JARVIS_STORE__ENCRYPTION_KEY)."""
    from cryptography.fernet import Fernet

    print(Fernet.generate_key().decode("ascii"))


async def _exclusive(settings: Settings, action: Callable[[Any], Awaitable[T]]) -> T:
    """Run `action(db)` with the server stopped (the database lock held) and no cipher installed."""
    from jarvis.store.db import Database
    from jarvis.store.lock import DatabaseLock

    db = Database(settings.database_url)
    lock = DatabaseLock(db.path) if db.path is not None else None
    try:
        if lock is not None:
            lock.acquire()
        await db.migrate()
        return await action(db)
    finally:
        await db.close()
        if lock is not None:
            lock.release()


def _rewrite(settings: Settings, description: str, make_convert: Callable[[Any], Callable[[str], str]]) -> int:
    """Convert every encrypted-column value with the configured cipher, server stopped, in one transaction."""
    from jarvis.store.crypto import census, choose_cipher, count_values, rewrite_all

    if not settings.store.encryption:
        raise fail(t("encryption-off"))

    async def action(db: Any) -> int:
        cipher = choose_cipher(settings, await census(db))  # checks the key against the encrypted data
        total = await count_values(db)
        with _progress() as progress:
            task = progress.add_task(description, total=total)
            return await rewrite_all(db, make_convert(cipher), lambda n: progress.advance(task, n))

    return _run(lambda: asyncio.run(_exclusive(settings, action)))


@keys_app.command("encrypt")
def keys_encrypt(config: ConfigOption = None) -> None:
    """Chiffrer les textes déjà en clair (après avoir activé store.encryption), serveur arrêté."""
    changed = _rewrite(settings_or_exit(config), "Chiffrement", lambda cipher: cipher.rotate)
    console.print(f"{changed} textes chiffrés ; l'ancien contenu est effacé du fichier (VACUUM).")


@keys_app.command("decrypt")
def keys_decrypt(config: ConfigOption = None) -> None:
    """Remettre les textes en clair (avant de désactiver store.encryption), serveur arrêté."""
    from jarvis.store.crypto import clear_text

    changed = _rewrite(settings_or_exit(config), "Déchiffrement", clear_text)
    console.print(f"{changed} textes remis en clair. Désactivez maintenant store.encryption.")


@keys_app.command("rotate")
def keys_rotate(
    config: ConfigOption = None,
    keep_old: Annotated[
        bool, typer.Option("--keep-old", help="Garder les anciennes clés (pour relire d'anciennes sauvegardes).")
    ] = False,
) -> None:
    """Rechiffrer toutes les données avec une nouvelle clé (l'ancienne reste valable jusqu'à la fin)."""
    from cryptography.fernet import Fernet

    from jarvis.store.crypto import (
        Cipher,
        census,
        choose_cipher,
        count_values,
        key_file_path,
        rewrite_all,
        write_key_file,
    )

    settings = settings_or_exit(config)
    if not settings.store.encryption:
        raise fail(t("encryption-off"))
    from_env = settings.store.encryption_key is not None

    async def action(db: Any) -> int:
        current = choose_cipher(settings, await census(db))  # checks the current key against the data
        assert current is not None  # encryption is on
        path = key_file_path(settings)
        new = Fernet.generate_key()
        if from_env:
            if len(current.keys) < 2:
                raise JarvisError(t("key-rotation-env"), code="key-rotation-env")
            cipher = current  # NEW,OLD from the environment: re-encrypt with the first one
        else:
            # New key first, old keys after: until the rewrite is committed, both decrypt everything.
            write_key_file(path, [new, *current.keys])
            cipher = Cipher([new, *current.keys], f"store.encryption_key_file={path}")
        total = await count_values(db)
        with _progress() as progress:
            task = progress.add_task("Rechiffrement", total=total)
            changed = await rewrite_all(db, cipher.rotate, lambda n: progress.advance(task, n))
        if not from_env:
            write_key_file(path, [new, *current.keys] if keep_old else [new])
        return changed

    changed = _run(lambda: asyncio.run(_exclusive(settings, action)))
    console.print(f"{changed} textes rechiffrés avec la nouvelle clé.")
    if from_env:
        err.print("Retirez maintenant l'ancienne clé de JARVIS_STORE__ENCRYPTION_KEY (gardez la première).")
    elif not keep_old:
        err.print(
            "[yellow]Les sauvegardes faites avant ne se relisent qu'avec l'ancienne clé (--keep-old la garde).[/]"
        )
