"""Conversations and their messages: each write is its own committed transaction before the API answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, insert, literal, select, update

from jarvis.errors import NotFoundError
from jarvis.i18n import t
from jarvis.store.db import Database
from jarvis.store.tables import Conversation, Message, new_id, utcnow

TITLE_CHARS = 80


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    message_count: int


def _title_from(text: str) -> str:
    first_line = " ".join(text.split())
    return first_line if len(first_line) <= TITLE_CHARS else first_line[: TITLE_CHARS - 1] + "…"


class ConversationRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, title: str = "") -> Conversation:
        async with self.db.sessions() as session, session.begin():
            conversation = Conversation(title=title)
            session.add(conversation)
        return conversation

    async def get(self, conversation_id: str) -> Conversation:
        async with self.db.sessions() as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                raise NotFoundError(t("conversation-not-found", id=conversation_id), code="conversation-not-found")
            return conversation

    async def list_recent(self, limit: int = 50, offset: int = 0) -> list[ConversationSummary]:
        count = func.count(Message.id).label("message_count")
        query = (
            select(Conversation, count)
            .outerjoin(Message, Message.conversation_id == Conversation.id)
            .group_by(Conversation.id)
            .order_by(Conversation.updated_at.desc(), Conversation.id)
            .limit(limit)
            .offset(offset)
        )
        async with self.db.sessions() as session:
            rows = (await session.execute(query)).all()
        return [ConversationSummary(c.id, c.title, c.created_at, c.updated_at, int(n)) for c, n in rows]

    async def rename(self, conversation_id: str, title: str) -> ConversationSummary:
        """Give the conversation a title (its place in the list, by last activity, does not change)."""
        count = func.count(Message.id)
        async with self.db.sessions() as session, session.begin():
            result = await session.execute(
                update(Conversation).where(Conversation.id == conversation_id).values(title=title)
            )
            if getattr(result, "rowcount", 0) == 0:
                raise NotFoundError(t("conversation-not-found", id=conversation_id), code="conversation-not-found")
            conversation = await session.get_one(Conversation, conversation_id)
            messages = await session.scalar(select(count).where(Message.conversation_id == conversation_id))
        return ConversationSummary(
            conversation.id, conversation.title, conversation.created_at, conversation.updated_at, int(messages or 0)
        )

    async def delete(self, conversation_id: str) -> None:
        async with self.db.sessions() as session, session.begin():
            result = await session.execute(delete(Conversation).where(Conversation.id == conversation_id))
            if getattr(result, "rowcount", 0) == 0:
                raise NotFoundError(t("conversation-not-found", id=conversation_id), code="conversation-not-found")

    async def set_summary(self, conversation_id: str, summary: str, upto_seq: int) -> None:
        """Record a summary of the messages up to `upto_seq` (ignored if a newer summary exists already)."""
        async with self.db.sessions() as session, session.begin():
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id, Conversation.summary_seq < upto_seq)
                .values(summary=summary, summary_seq=upto_seq)
            )

    async def messages(self, conversation_id: str, limit: int | None = None, after_seq: int = 0) -> list[Message]:
        """The conversation's messages in order (after `after_seq`); with `limit`, only the most recent ones."""
        query = select(Message).where(Message.conversation_id == conversation_id, Message.seq > after_seq)
        if limit is not None:
            query = query.order_by(Message.seq.desc()).limit(limit)
        else:
            query = query.order_by(Message.seq)
        async with self.db.sessions() as session:
            rows = list((await session.execute(query)).scalars())
        return rows[::-1] if limit is not None else rows

    async def add_message(
        self,
        conversation_id: str,
        role: str,
        content: str,
        *,
        status: str = "complete",
        timings: dict[str, Any] | None = None,
    ) -> Message:
        """Append a message and commit (durable on return); the first user message names the conversation."""
        now = utcnow()
        values: dict[str, Any] = {"updated_at": now}
        if role == "user":
            # The new title is bound with the column's type, so that it is encrypted like the column.
            title = literal(_title_from(content), Conversation.title.type)
            values["title"] = case((Conversation.title == "", title), else_=Conversation.title)
        message_id = new_id()
        async with self.db.sessions() as session, session.begin():
            # Writing first takes the write lock, so the sequence number below cannot race another writer.
            touched = await session.execute(
                update(Conversation).where(Conversation.id == conversation_id).values(**values)
            )
            if getattr(touched, "rowcount", 0) == 0:
                raise NotFoundError(t("conversation-not-found", id=conversation_id), code="conversation-not-found")
            next_seq = (
                select(func.coalesce(func.max(Message.seq), 0) + 1)
                .where(Message.conversation_id == conversation_id)
                .scalar_subquery()
            )
            await session.execute(
                insert(Message).values(
                    id=message_id,
                    conversation_id=conversation_id,
                    seq=next_seq,
                    role=role,
                    content=content,
                    status=status,
                    created_at=now,
                    timings=timings,
                )
            )
            message = await session.get_one(Message, message_id)
        return message
