"""Database tables (SQLAlchemy 2 declarative); rows are storage, API schemas live in jarvis.api."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, ForeignKey, Index, LargeBinary, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from jarvis.store.crypto import EncryptedText


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime, dict[str, Any]: JSON}


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(EncryptedText(), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # A summary of the messages up to seq `summary_seq`, which the prompt carries instead of those messages.
    summary: Mapped[str] = mapped_column(EncryptedText(), default="", server_default="")
    summary_seq: Mapped[int] = mapped_column(default=0, server_default="0")

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Message.seq",
    )


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_seq", "conversation_id", "seq", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    # Monotonic order inside a conversation (timestamps can tie).
    seq: Mapped[int] = mapped_column()
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(EncryptedText())
    # complete | cancelled | failed
    status: Mapped[str] = mapped_column(String(16), default="complete")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    timings: Mapped[dict[str, Any] | None] = mapped_column(default=None)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Memory(Base):
    """A long-term memory item: what Jarvis knows about the people it lives with."""

    __tablename__ = "memories"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    text: Mapped[str] = mapped_column(EncryptedText())
    # fact | preference | event | note
    kind: Mapped[str] = mapped_column(String(16))
    # Who the memory is about ("" when it is about the person speaking to Jarvis).
    subject: Mapped[str] = mapped_column(EncryptedText(), default="")
    # permanent | important | normal | temporary | auto_delete
    retention: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    # None for permanent items; otherwise updated_at + the retention period.
    expires_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    source_conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), default=None
    )
    source_message_id: Mapped[str | None] = mapped_column(String(32), default=None)
    # float32 little-endian vector of the embedding model named in embedding_model.
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    embedding_model: Mapped[str] = mapped_column(String(64), default="")


class ProfileEntry(Base):
    """One field of the household profile (name, city, household, preferences, notes)."""

    __tablename__ = "profile"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(EncryptedText())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TimerRow(Base):
    """A timer or reminder owned by Jarvis (it survives restarts)."""

    __tablename__ = "timers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16), default="timer")  # timer | reminder
    label: Mapped[str] = mapped_column(String(200), default="")
    duration_seconds: Mapped[float] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(index=True)
    # active | finished | cancelled
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    late_seconds: Mapped[float] = mapped_column(default=0.0)
    # When a session received the announcement; None: still to announce (it finished while nobody listened).
    announced_at: Mapped[datetime | None] = mapped_column(default=None)


class SigninLink(Base):
    """A one-time sign-in link for the web app (printed by `jarvis serve`); only its hash is kept."""

    __tablename__ = "signin_links"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class WebSession(Base):
    """A browser session: the cookie holds the secret, the database only its hash and the CSRF token."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
