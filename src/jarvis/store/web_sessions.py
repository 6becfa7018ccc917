"""Browser sign-in: one-time links exchanged for durable cookie sessions. Only hashes of the secrets are stored."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, select, update

from jarvis.store.db import Database
from jarvis.store.tables import SigninLink, WebSession, utcnow
from jarvis.store.tokens import hash_token

LINK_PREFIX = "jvl_"
SESSION_PREFIX = "jvs_"
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class OpenedSession:
    session: WebSession
    secret: str  # goes into the cookie, never stored


class WebSessionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_link(self, ttl: timedelta) -> str:
        """A new one-time sign-in secret valid for `ttl`; expired links are purged on the way."""
        secret = LINK_PREFIX + secrets.token_urlsafe(32)
        now = utcnow()
        async with self.db.sessions() as session, session.begin():
            await session.execute(
                delete(SigninLink).where(or_(SigninLink.expires_at < now, SigninLink.used_at.is_not(None)))
            )
            session.add(SigninLink(token_hash=hash_token(secret), expires_at=now + ttl))
        return secret

    async def redeem(self, link_secret: str, ttl: timedelta, user_agent: str = "") -> OpenedSession | None:
        """Exchange a sign-in secret for a session, once: a used, expired or unknown link gives None."""
        now = utcnow()
        async with self.db.sessions() as session, session.begin():
            # One conditional UPDATE: two concurrent redemptions of the same link cannot both succeed.
            used = await session.execute(
                update(SigninLink)
                .where(
                    SigninLink.token_hash == hash_token(link_secret),
                    SigninLink.used_at.is_(None),
                    SigninLink.expires_at > now,
                )
                .values(used_at=now)
            )
            if getattr(used, "rowcount", 0) != 1:
                return None
            await session.execute(delete(WebSession).where(WebSession.expires_at < now))
            secret = SESSION_PREFIX + secrets.token_urlsafe(32)
            web_session = WebSession(
                token_hash=hash_token(secret),
                csrf_token=secrets.token_urlsafe(32),
                user_agent=user_agent[:300],
                created_at=now,
                last_seen_at=now,
                expires_at=now + ttl,
            )
            session.add(web_session)
        return OpenedSession(web_session, secret)

    async def verify(self, secret: str) -> WebSession | None:
        """The live session whose cookie holds `secret`, or None."""
        now = utcnow()
        async with self.db.sessions() as session:
            found = await session.scalar(select(WebSession).where(WebSession.token_hash == hash_token(secret)))
            if found is None or found.expires_at <= now:
                return None
            if now - found.last_seen_at > LAST_SEEN_RESOLUTION:
                await session.execute(update(WebSession).where(WebSession.id == found.id).values(last_seen_at=now))
                await session.commit()
            return found

    async def close(self, secret: str) -> bool:
        """Sign out: the session is deleted; True when there was one."""
        async with self.db.sessions() as session, session.begin():
            result = await session.execute(delete(WebSession).where(WebSession.token_hash == hash_token(secret)))
            return bool(getattr(result, "rowcount", 0))

    async def close_all(self) -> int:
        async with self.db.sessions() as session, session.begin():
            result = await session.execute(delete(WebSession))
            return int(getattr(result, "rowcount", 0))


def browser_host(host: str) -> str:
    """The host a browser on this machine should open for a server listening on `host`."""
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


async def new_signin_url(database_url: str, host: str, port: int, ttl: timedelta) -> str:
    """Create a one-time sign-in link in the database and return its address."""
    db = Database(database_url)
    try:
        await db.migrate()
        secret = await WebSessionRepository(db).create_link(ttl)
    finally:
        await db.close()
    return f"http://{browser_host(host)}:{port}/?token={secret}"
