"""API tokens: random secrets shown once, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from jarvis.errors import InvalidInputError, NotFoundError
from jarvis.store.db import Database
from jarvis.store.tables import ApiToken, utcnow

TOKEN_PREFIX = "jv_"
# Updating last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(secret: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, name: str) -> tuple[ApiToken, str]:
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidInputError("Le nom du jeton doit faire entre 1 et 100 caractères.")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(name=name, token_hash=hash_token(secret))
        try:
            async with self.db.sessions() as session, session.begin():
                session.add(token)
        except IntegrityError as exc:
            raise InvalidInputError(
                f"Un jeton nommé « {name} » existe déjà : choisissez un autre nom ou révoquez-le.",
                code="token-exists",
            ) from exc
        return token, secret

    async def list_all(self) -> list[ApiToken]:
        async with self.db.sessions() as session:
            return list((await session.execute(select(ApiToken).order_by(ApiToken.created_at))).scalars())

    async def revoke(self, name_or_id: str) -> ApiToken:
        async with self.db.sessions() as session, session.begin():
            token = await session.scalar(
                select(ApiToken).where((ApiToken.name == name_or_id) | (ApiToken.id == name_or_id))
            )
            if token is None:
                raise NotFoundError(f"Aucun jeton « {name_or_id} ». Voyez « jarvis token list ».")
            if token.revoked_at is None:
                token.revoked_at = utcnow()
        return token

    async def verify(self, secret: str) -> ApiToken | None:
        """The active token matching `secret`, or None."""
        async with self.db.sessions() as session:
            token = await session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
            if token is None or token.revoked_at is not None:
                return None
            now = utcnow()
            if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
                await session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
                await session.commit()
            return token
