"""Backups over the API: make one now (consistent while serving) and list those in backup.dir."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from jarvis.api.deps import ServicesDep
from jarvis.api.schemas import ErrorBody
from jarvis.errors import StoreError
from jarvis.i18n import t
from jarvis.store.backup import backup_file, backup_name

router = APIRouter(prefix="/api/backups", tags=["backups"])
ERRORS: dict[int | str, dict[str, Any]] = {409: {"model": ErrorBody, "description": "Not a SQLite database"}}


class BackupOut(BaseModel):
    name: str
    path: str
    size_bytes: int
    created_at: datetime
    seconds: float | None = None


class BackupList(BaseModel):
    backups: list[BackupOut]


@router.post("", response_model=BackupOut, status_code=201, responses=ERRORS, summary="Back up the database now")
async def create_backup(services: ServicesDep) -> BackupOut:
    source = services.db.path
    if source is None:
        raise StoreError(t("backup-not-sqlite", url=services.db.url), code="backup-not-sqlite", status=409)
    target = services.settings.backup_dir / backup_name()
    result = await asyncio.to_thread(backup_file, source, target)
    stat = result.path.stat()
    return BackupOut(
        name=result.path.name,
        path=str(result.path),
        size_bytes=result.size_bytes,
        created_at=datetime.fromtimestamp(stat.st_mtime, UTC),
        seconds=round(result.seconds, 3),
    )


@router.get("", response_model=BackupList, summary="Backups in backup.dir, newest first")
async def list_backups(services: ServicesDep) -> BackupList:
    directory = services.settings.backup_dir
    files = [p for p in directory.glob("jarvis-*.db") if p.is_file()] if directory.is_dir() else []
    out = [
        BackupOut(
            name=p.name,
            path=str(p),
            size_bytes=(stat := p.stat()).st_size,
            created_at=datetime.fromtimestamp(stat.st_mtime, UTC),
        )
        for p in files
    ]
    return BackupList(backups=sorted(out, key=lambda b: b.created_at, reverse=True))
