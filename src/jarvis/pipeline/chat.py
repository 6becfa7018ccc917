"""A text turn: store the user message, stream the reply as events, store the reply. Only this module turns
errors into `error` events, and every run ends with `run-end`."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import structlog
from numpy.typing import NDArray

from jarvis.brain.fastpath import FastPath
from jarvis.brain.prompt import PromptBuilder, Said
from jarvis.brain.summary import ConversationSummariser
from jarvis.errors import CancelledRunError, InvalidInputError, JarvisError, LlmError
from jarvis.events import (
    ErrorEvent,
    Event,
    LlmDelta,
    RunEnd,
    RunStart,
    SttEnd,
    SttNoSpeech,
)
from jarvis.i18n import t
from jarvis.llm.base import ChatMessage, GenerationParams, ToolCall
from jarvis.llm.service import GenerationStats, LlmService
from jarvis.llm.toolcalls import new_call_id
from jarvis.memory import commands as memory_commands
from jarvis.memory.extraction import MemoryLearner, TurnToLearn
from jarvis.memory.service import MemoryService
from jarvis.metrics import Metrics
from jarvis.pipeline.speaker import Speaker
from jarvis.pipeline.speech import SpeechService
from jarvis.pipeline.tool_calls import run_tool_calls
from jarvis.pipeline.turn import PreparedRun, RunResult, Turn, VoiceOutput
from jarvis.pipeline.warming import PromptWarmer
from jarvis.store.conversations import ConversationRepository
from jarvis.stt.base import Transcript
from jarvis.tools.base import current_conversation, current_request
from jarvis.tools.registry import ToolRegistry

log = structlog.get_logger(__name__)
Emit = Callable[[Event], Awaitable[None]]
# Sees every event of every run (e.g. the MQTT bridge); must return at once and not raise.
Observer = Callable[[Event], None]
# Messages of these statuses were (at least partly) said to the user, so they belong in the history.
HISTORY_STATUSES = ("complete", "cancelled")
HISTORY_MESSAGES = 60


class ChatPipeline:
    def __init__(
        self,
        conversations: ConversationRepository,
        llm: LlmService,
        prompts: PromptBuilder,
        params: GenerationParams,
        metrics: Metrics,
        max_message_chars: int,
        speech: SpeechService,
        memory: MemoryService | None = None,
        learner: MemoryLearner | None = None,
        summariser: ConversationSummariser | None = None,
        tools: ToolRegistry | None = None,
        max_tool_steps: int = 4,
        fast_path: FastPath | None = None,
    ) -> None:
        self.summariser = summariser
        self.speech = speech
        self.memory = memory
        self.learner = learner
        self.tools = tools
        self.max_tool_steps = max_tool_steps
        self.fast_path = fast_path
        self.conversations = conversations
        self.llm = llm
        self.prompts = prompts
        self.params = params
        self.metrics = metrics
        self.max_message_chars = max_message_chars
        self.warmer = PromptWarmer(
            llm,
            prompts,
            history=self._history,
            recall=self._recall_quietly,
            tool_specs=lambda: self.tool_specs,
            needs_model=lambda text, conversation_id: not self.answers_without_llm(text, conversation_id),
        )
        # Strong references: a run whose client left must still finish storing what was said.
        self._tasks: set[asyncio.Task[Any]] = set()
        self.observers: list[Observer] = []

    def start(self, prepared: PreparedRun, emit: Emit, voice: VoiceOutput | None = None) -> asyncio.Task[RunResult]:
        """Run a turn in its own task, independent of the request that started it: cancelling the task (client
        gone, `cancel`) stops the generation, and the run still stores the partial reply."""
        task = asyncio.create_task(self.run(prepared, emit, voice))
        self._track(task)
        return task

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.warmer.close()

    def completes_command(self, text: str) -> bool:
        """The words heard so far are a whole command the fast path knows: listening need not wait for the rest of
        the end-of-utterance silence."""
        if self.fast_path is None or not text.strip():
            return False
        fast_path = self.fast_path
        return any(fast_path.recognize_heard(text, language, "endpointing") for language in fast_path.languages)

    async def _history(self, conversation_id: str) -> tuple[list[Said], str]:
        """The conversation's messages the prompt shows (after its summary), and the summary."""
        conversation = await self.conversations.get(conversation_id)
        stored = await self.conversations.messages(
            conversation_id, limit=HISTORY_MESSAGES, after_seq=conversation.summary_seq
        )
        history = [
            Said(m.role, m.content, m.created_at, m.seq)
            for m in stored
            if m.status in HISTORY_STATUSES and m.role in ("user", "assistant", "tool")
        ]
        return history, conversation.summary

    async def _recall_quietly(self, text: str) -> list[str]:
        """The memories a prompt for `text` would show, without counting them as used (nothing was asked yet)."""
        recalled = await self.memory.recall(text, mark_used=False) if self.memory is not None else []
        return [m.text for m in recalled]

    def check_capacity(self, text: str, conversation_id: str | None) -> None:
        """Refuse a text turn now (LlmBusyError: 503 before anything is stored) only if it needs the LLM while
        the LLM's queue is full: memory commands and fast-path sentences are answered without it."""
        if not self.llm.full or self.answers_without_llm(text, conversation_id):
            return
        self.llm.check_capacity()

    def answers_without_llm(self, text: str, conversation_id: str | None) -> bool:
        text = text.strip()
        if self.memory is not None and memory_commands.parse(text) is not None:
            return True
        return self.fast_path is not None and bool(text) and self.fast_path.takes(text, conversation_id)

    async def prepare(self, text: str, conversation_id: str | None) -> PreparedRun:
        """Check the input and find or create the conversation; raises coded errors (no events yet)."""
        text = text.strip()
        if not text:
            raise InvalidInputError(t("empty-message"), code="empty-message")
        if len(text) > self.max_message_chars:
            raise InvalidInputError(t("message-too-long", limit=self.max_message_chars), code="message-too-long")
        return PreparedRun(uuid.uuid4().hex, await self._conversation(conversation_id), text=text)

    async def prepare_audio(
        self,
        audio: NDArray[np.int16],
        conversation_id: str | None,
        early_transcript: asyncio.Task[Transcript] | None = None,
        *,
        heard: bool = False,
    ) -> PreparedRun:
        """A turn that starts from speech (16 kHz mono samples), maybe already being recognised; `heard`: the live
        listener found speech in it."""
        conversation = await self._conversation(conversation_id)
        return PreparedRun(uuid.uuid4().hex, conversation, audio=audio, early_transcript=early_transcript, heard=heard)

    async def _conversation(self, conversation_id: str | None) -> str:
        if conversation_id is None:
            return (await self.conversations.create()).id
        await self.conversations.get(conversation_id)
        return conversation_id

    async def run(self, prepared: PreparedRun, emit: Emit, voice: VoiceOutput | None = None) -> RunResult:
        """Run one turn. Never raises a JarvisError: failures become an `error` event and a failed `run-end`.
        Cancellation (client gone, `cancel`, barge-in) keeps what was said and re-raises."""
        token = current_conversation.set(prepared.conversation_id)  # for tools that ask the user something
        try:
            return await self._run(prepared, emit, voice)
        finally:
            current_conversation.reset(token)

    async def _run(self, prepared: PreparedRun, emit: Emit, voice: VoiceOutput | None) -> RunResult:
        emit = self._observed(emit)
        turn = Turn(prepared, time.perf_counter())
        self.warmer.turn_started()
        history: list[Said] = []
        said: Said | None = None
        try:
            history, turn.summary = await self._history(prepared.conversation_id)
            said = await self._user_message(turn, emit)
            if said is None:
                return await self._finish(turn, "no-speech", emit, None)
            if voice is not None:
                turn.speaker = Speaker(
                    self.speech.tts,
                    emit,
                    voice.emit_audio,
                    run_id=prepared.run_id,
                    voice=voice.voice or self.speech.voice,
                    speed=voice.speed or self.speech.speed,
                    started=turn.started,
                    realtime=voice.realtime,
                    first_clause_min_chars=self.speech.first_clause_min_chars,
                    first_piece_wait_seconds=self.speech.first_piece_wait_seconds,
                    priority=self.speech.priority,
                    timeout_seconds=self.speech.tts_timeout_seconds,
                )
            command = memory_commands.parse(said.content) if self.memory is not None else None
            if command is not None and self.memory is not None:
                turn.route = "memory"
                reply = await self.memory.handle(command, prepared.conversation_id, turn.user_message_id)
                await self._say(turn, reply, emit)
            elif not await self._fast_path(turn, said.content, emit):
                await self._generate(turn, history, said, emit)
            if turn.speaker is not None:
                await turn.speaker.finish()
        except asyncio.CancelledError:
            # A task of its own, created before any await: a second cancel cannot stop the storing.
            finish = asyncio.ensure_future(self._finish_cancelled(turn, emit))
            self._track(finish)
            self.warmer.after_turn(history, said, turn)
            await asyncio.shield(finish)
            raise
        except JarvisError as exc:
            result = await self._finish(turn, "failed", emit, exc)
        except Exception as exc:
            log.exception("run-failed", run_id=prepared.run_id)
            result = await self._finish(turn, "failed", emit, LlmError(t("internal-error", detail=exc)))
        else:
            result = await self._finish(turn, "complete", emit, None)
            self._learn(history, said, turn)
        finally:
            if turn.speaker is not None:
                await turn.speaker.cancel()
        self.warmer.after_turn(history, said, turn)
        return result

    @property
    def tool_specs(self) -> list[dict[str, Any]] | None:
        return self.tools.specs() if self.tools is not None else None

    async def _generate(self, turn: Turn, history: list[Said], said: Said, emit: Emit) -> None:
        """The LLM's reply, with the memories relevant to the message in the prompt."""
        recalled = await self.memory.recall(said.content) if self.memory is not None else []
        messages = self.prompts.build(
            history, said.content, at=said.at, memories=[m.text for m in recalled], summary=turn.summary
        )
        token = current_request.set(said.content)
        try:
            await self._tool_loop(turn, messages, emit)
        finally:
            current_request.reset(token)

    async def _tool_loop(self, turn: Turn, messages: list[ChatMessage], emit: Emit) -> None:
        """The tool loop: generate; while the model asks for tools, run them and generate again (bounded).
        Text is streamed (and spoken) as it comes, whichever step writes it."""
        run_id = turn.prepared.run_id
        tools = self.tool_specs
        for step in range(self.max_tool_steps + 1):
            stats = GenerationStats()
            calls: list[ToolCall] = []
            text: list[str] = []
            try:
                async with contextlib.aclosing(self.llm.stream(messages, tools, self.params, stats)) as chunks:
                    async for chunk in chunks:
                        if chunk.text:
                            text.append(chunk.text)
                            await self._say(turn, chunk.text, emit)
                        calls.extend(chunk.tool_calls)
                        if chunk.calling is not None and self._settled_by_name(chunk.calling):
                            # Its arguments would change nothing (« Désolé, je ne sais pas faire ça. »): stop the
                            # model here rather than wait for them.
                            calls.append(ToolCall(id=new_call_id(), name=chunk.calling, arguments={}))
                            break
            finally:
                turn.add_step(stats)
            if not calls or self.tools is None:
                return
            if step == self.max_tool_steps:
                log.warning("tool-steps-exceeded", run_id=run_id, steps=step)
                await self._say(turn, (" " if turn.reply else "") + t("tool-steps-exceeded"), emit)
                return
            outcomes, step_messages = await run_tool_calls(
                self.tools, "".join(text), calls, run_id, emit, turn.tool_outcomes
            )
            messages = [*messages, *step_messages]
            if all(outcome.says_itself for outcome in outcomes):
                # Direct tools answer in their own words: no second generation.
                said = " ".join(outcome.content for outcome in outcomes)
                await self._say(turn, (" " if turn.reply else "") + said, emit)
                return

    def _settled_by_name(self, name: str) -> bool:
        return self.tools is not None and self.tools.settled_by_name(name)

    async def _say(self, turn: Turn, text: str, emit: Emit) -> None:
        turn.reply.append(text)
        if turn.speaker is not None:
            turn.speaker.feed(text)
        await emit(LlmDelta(run_id=turn.prepared.run_id, text=text))

    def _observed(self, emit: Emit) -> Emit:
        if not self.observers:
            return emit

        async def observed(event: Event) -> None:
            for observer in self.observers:
                try:
                    observer(event)
                except Exception:
                    log.exception("observer-failed", event=event.type)
            await emit(event)

        return observed

    async def _fast_path(self, turn: Turn, text: str, emit: Emit) -> bool:
        """Answer without the LLM when the fast path recognises the sentence (a home command, the time...).
        Its errors (Home Assistant down, an action that did not happen) are said to the user as the reply."""
        if self.fast_path is None:
            return False
        began = time.perf_counter()
        try:
            reply = await self.fast_path.handle(text, turn.prepared.conversation_id)
        except JarvisError as exc:
            reply_text, intent = exc.message, f"error:{exc.code}"
        except TimeoutError:
            reply_text, intent = t("home-timeout", seconds=self.fast_path.timeout_seconds), "error:timeout"
        else:
            if reply is None:
                return False
            reply_text, intent = reply.text, reply.intent
        turn.brain_seconds = time.perf_counter() - began
        turn.fast_path_intent = intent
        turn.route = "fast-path"
        await self._say(turn, reply_text, emit)
        return True

    async def _finish_cancelled(self, turn: Turn, emit: Emit) -> RunResult:
        if turn.speaker is not None:
            await turn.speaker.cancel()
        return await self._finish(turn, "cancelled", emit, None)

    async def _user_message(self, turn: Turn, emit: Emit) -> Said | None:
        """Store what the user said (recognising it first for speech) and announce it; None: no speech."""
        prepared = turn.prepared
        if prepared.audio is None:
            stored = await self.conversations.add_message(prepared.conversation_id, "user", prepared.text)
            turn.user_message_id = stored.id
            turn.user_seq = stored.seq
            await emit(
                RunStart(run_id=prepared.run_id, conversation_id=prepared.conversation_id, user_message_id=stored.id)
            )
            return Said("user", prepared.text, stored.created_at, stored.seq)
        await emit(RunStart(run_id=prepared.run_id, conversation_id=prepared.conversation_id))
        began = time.perf_counter()
        if prepared.early_transcript is not None:
            transcript = await prepared.early_transcript
        else:
            transcript = await self.speech.recognize(prepared.audio, heard=prepared.heard)
        turn.stt_seconds = time.perf_counter() - began
        if transcript.no_speech:
            await emit(SttNoSpeech(run_id=prepared.run_id))
            return None
        stored = await self.conversations.add_message(prepared.conversation_id, "user", transcript.text)
        turn.user_message_id = stored.id
        turn.user_seq = stored.seq
        await emit(
            SttEnd(
                run_id=prepared.run_id, text=transcript.text, language=transcript.language, user_message_id=stored.id
            )
        )
        return Said("user", transcript.text, stored.created_at, stored.seq)

    def _learn(self, history: list[Said], said: Said | None, turn: Turn) -> None:
        """Background work after a complete turn: learn from it, and summarise what overflows the budget."""
        if said is None:
            return
        reply = turn.kept_reply("complete")
        if self.learner is not None and turn.route == "llm":
            self.learner.after_turn(
                TurnToLearn(
                    history, said, reply, turn.prepared.conversation_id, turn.user_message_id, summary=turn.summary
                )
            )
        if self.summariser is not None and reply:
            said_now = [*history, said, Said("assistant", reply, said.at, turn.reply_seq)]
            self.summariser.after_turn(turn.prepared.conversation_id, turn.summary, said_now)

    async def _finish(self, turn: Turn, status: str, emit: Emit, error: JarvisError | None) -> RunResult:
        prepared, speaker = turn.prepared, turn.speaker
        text = turn.kept_reply(status)
        timings = turn.timings()
        if speaker is not None and speaker.first_audio_seconds is not None:
            self.metrics.first_audio_seconds.observe(speaker.first_audio_seconds)
        message_id = None
        try:
            for outcome in turn.tool_outcomes:  # the record of what was done, before the reply that reports it
                await self.conversations.add_message(prepared.conversation_id, "tool", outcome.record())
        except JarvisError as exc:
            error = error or exc
        if text:
            try:
                stored = await self.conversations.add_message(
                    prepared.conversation_id,
                    "assistant",
                    text,
                    status=status,
                    timings=timings.model_dump(exclude_none=True),
                )
                message_id = stored.id
                turn.reply_seq = stored.seq
            except JarvisError as exc:  # e.g. the conversation was deleted meanwhile
                error = error or exc
        if status == "cancelled":
            error = CancelledRunError(t("cancelled"))
        elif error is None and speaker is not None and speaker.error is not None:
            error = speaker.error  # the text reply is complete, but it could not be spoken
        end = RunEnd(
            run_id=prepared.run_id,
            conversation_id=prepared.conversation_id,
            message_id=message_id,
            reply=text,
            status=status,
            timings=timings,
        )
        self.metrics.runs.labels(status).inc()
        try:
            if error is not None:
                await emit(ErrorEvent(run_id=prepared.run_id, code=error.code, message=error.message))
            await emit(end)
        except Exception:  # the client is gone; what matters (the stored messages) is done
            log.info("run-end-undelivered", run_id=prepared.run_id)
        log.info("run-end", run_id=prepared.run_id, status=status, **timings.model_dump(exclude_none=True))
        return RunResult(end=end, error=error)
