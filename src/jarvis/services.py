"""The objects one running Jarvis shares: built from settings by `build_services`, closed at shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from jarvis.brain.fastpath import FastPath
from jarvis.brain.own_intents import register_own_intents
from jarvis.brain.prompt import PromptBuilder
from jarvis.brain.summary import ConversationSummariser
from jarvis.config import Settings
from jarvis.cpu import cpu_priority
from jarvis.engines import build_engine, build_speech_check, build_synthesizer, build_transcriber, tts_voice
from jarvis.errors import JarvisError
from jarvis.events import Event
from jarvis.home.intents import HomeIntents
from jarvis.home.service import HomeService
from jarvis.home.tools import HomeTools
from jarvis.i18n import t
from jarvis.integrations.mqtt import MqttBridge
from jarvis.llm.base import ChatEngine, GenerationParams
from jarvis.llm.service import LlmService
from jarvis.memory.embedder import E5Embedder
from jarvis.memory.extraction import MemoryLearner
from jarvis.memory.items import MemoryRepository
from jarvis.memory.service import MemoryService
from jarvis.metrics import Metrics
from jarvis.pipeline.announce import SessionHub
from jarvis.pipeline.chat import ChatPipeline
from jarvis.pipeline.speech import SpeechService
from jarvis.plugins.manager import PluginManager
from jarvis.store.backup import BackupScheduler
from jarvis.store.conversations import ConversationRepository
from jarvis.store.crypto import open_cipher
from jarvis.store.db import Database
from jarvis.store.lock import DatabaseLock
from jarvis.store.timers import TimerRepository
from jarvis.store.tokens import TokenRepository
from jarvis.timers.intents import register_timer_intents
from jarvis.timers.service import TimerService
from jarvis.tools.builtin import datetime_tools, memory_tools, timer_tools
from jarvis.tools.mcp import McpManager
from jarvis.tools.registry import ToolRegistry
from jarvis.tts.sentences import SentenceSplitter

log = structlog.get_logger(__name__)
# Replies that open with the same words every time (« C'est fait, », « C'est parti : », « Laquelle : »): ready in
# the phrase cache.
OPENING_KEYS = ("home-done", "timer-started", "home-which", "home-which-feminine", "timer-which", "home-weather")
# Whole replies that never change, said often enough to be ready at once too.
FIXED_REPLY_KEYS = ("timers-none", "home-unsure", "home-cancelled", "tool-not-asked", "never-mind")


@dataclass
class Services:
    settings: Settings
    db: Database
    metrics: Metrics
    engine: ChatEngine
    llm: LlmService
    prompts: PromptBuilder
    conversations: ConversationRepository
    tokens: TokenRepository
    pipeline: ChatPipeline
    params: GenerationParams
    speech: SpeechService
    tools: ToolRegistry
    timers: TimerService
    hub: SessionHub
    home: HomeService
    fast_path: FastPath
    memory: MemoryService | None = None
    learner: MemoryLearner | None = None
    plugins: PluginManager | None = None
    mcp: McpManager | None = None
    _mcp_task: asyncio.Task[None] | None = None
    prompt_warmed: bool = False
    background: set[asyncio.Task[None]] = field(default_factory=set)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    lock: DatabaseLock | None = None
    backups: BackupScheduler | None = None
    mqtt: MqttBridge | None = None

    def start_loading(self) -> None:
        """Load the engine in the background: /health answers at once, /ready tells when the model is in."""
        self.home.start()
        self._spawn(self._load())
        if self.backups is not None:
            self._spawn(self.backups.run())
        if self.mqtt is not None:
            self._spawn(self.mqtt.run())

        self._spawn(self.timers.resume())
        if self.mcp is not None:
            self._mcp_task = asyncio.create_task(self.mcp.run(self.stopping))

    async def readiness(self) -> dict[str, Any]:
        """Which components are ready (as GET /ready, in short)."""
        components = {
            "llm": (await self.engine.health()).ready,
            "stt": self.speech.stt.ready,
            "tts": self.speech.tts.ready,
            "database": await self.db.ping(),
        }
        return {"ready": all(components.values()), "components": components}

    async def converse(self, text: str, conversation_id: str | None) -> tuple[dict[str, Any], JarvisError | None]:
        """One text turn for an integration (MQTT): the run's end as a dict, and its error if any."""
        self.pipeline.check_capacity(text, conversation_id)  # a full LLM queue refuses only what needs it
        prepared = await self.pipeline.prepare(text, conversation_id)

        async def ignore(_: Event) -> None:
            return None

        result = await self.pipeline.run(prepared, ignore)
        return result.end.model_dump(mode="json"), result.error

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _load_plugins(self) -> None:
        if self.plugins is None:
            return
        try:
            await self.plugins.load_all()
        except Exception:  # a plugin must never take the server down
            log.exception("plugins-load-failed")
        if self.settings.plugins.watch:
            self._spawn(self.plugins.watch(self.stopping))

    async def _load(self) -> None:
        await self._load_plugins()  # first: their tools belong in the prefix warmed below
        if self.memory is not None:
            self._spawn(self.memory.run_retention(self.settings.memory.retention_check_seconds))
            try:
                await self.memory.embedder.load()
            except JarvisError as exc:
                log.error("memory-load-failed", code=exc.code, error=exc.message)
        # The fast path's sentence data is parsed once, before the first command.
        await asyncio.to_thread(self.fast_path.warm)
        try:
            await self.engine.load()
        except JarvisError as exc:
            log.error("llm-load-failed", code=exc.code, error=exc.message)
        else:
            # A new conversation's prefix (with the tool definitions), before the first question.
            self.llm.warm(self.prompts.build_prefix([]), self.pipeline.tool_specs)
            self._spawn(self.pipeline.warmer.keep_warm())
        for name, engine in (("stt", self.speech.stt), ("tts", self.speech.tts)):
            try:
                await engine.load()
            except JarvisError as exc:
                log.error(f"{name}-load-failed", code=exc.code, error=exc.message)
            except Exception:  # reported, and /ready says which part is missing; the rest still starts
                log.exception(f"{name}-load-failed")
        await self.warm_phrases()
        # The system prompt with the tool definitions is long: answer "ready" once it is evaluated, not before
        # (a first question would otherwise wait for it).
        await self.llm.wait_warm()
        self.prompt_warmed = True

    async def settle(self) -> None:
        """Wait until the work done after a turn (memory learning, summary, the next prompt's warming) is over,
        as it is while the user listens to the reply and thinks of the next question (benchmarks)."""
        if self.pipeline.learner is not None:
            await self.pipeline.learner.wait()
        if self.pipeline.summariser is not None:
            await self.pipeline.summariser.wait()
        await self.llm.wait_warm()

    async def warm_phrases(self) -> None:
        """Replies to home commands and timers open with a few words (« C'est fait, »): the speaker sends that
        opening alone to the voice, and with it in the phrase cache the first command is answered at once too. A few
        replies that never change (« Aucun minuteur ni rappel en cours. ») are made ready whole."""
        if not self.settings.tts.phrase_cache or not self.speech.tts.ready:
            return
        language, min_chars = self.settings.chat.language, self.speech.first_clause_min_chars
        for text in phrases_to_warm(language, min_chars, home_configured=self.home.enabled):
            try:
                async with asyncio.timeout(self.speech.tts_timeout_seconds):
                    await self.speech.tts.synthesize(text, voice=self.speech.voice, speed=self.speech.speed)
            except JarvisError as exc:
                log.warning("tts-warm-failed", code=exc.code, error=exc.message)
            except TimeoutError:
                log.warning("tts-warm-failed", code="tts-timeout", error=text)

    async def close(self) -> None:
        self.stopping.set()
        if self._mcp_task is not None:  # let the MCP sessions close (their servers stop) before cancelling
            try:
                async with asyncio.timeout(5):
                    await asyncio.shield(self._mcp_task)
            except (TimeoutError, Exception):
                self._mcp_task.cancel()
                await asyncio.gather(self._mcp_task, return_exceptions=True)
        if self.mqtt is not None:
            await self.mqtt.stop()
        for task in list(self.background):
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await self.timers.close()
        await self.pipeline.close()
        if self.learner is not None:
            await self.learner.close()
        if self.pipeline.summariser is not None:
            await self.pipeline.summariser.close()
        await self.home.close()
        await self.llm.close()
        await self.engine.close()
        await self.speech.stt.close()
        await self.speech.tts.close()
        await self.db.close()
        if self.lock is not None:
            self.lock.release()


def phrases_to_warm(language: str, first_clause_min_chars: int, *, home_configured: bool = True) -> list[str]:
    """The pieces the speaker sends to the voice for the recurring replies, cut as it cuts them: the opening clause
    of the replies that vary, every sentence of those that never change (with no Home Assistant set, the answer to
    every home command is one of them)."""
    pieces: list[str] = []
    fixed = FIXED_REPLY_KEYS if home_configured else (*FIXED_REPLY_KEYS, "home-not-configured")
    for key in (*OPENING_KEYS, *fixed):
        splitter = SentenceSplitter(first_clause_min_chars=first_clause_min_chars)
        said = splitter.feed(t(key, language, name="·", state="·", label="·", duration="·", options="·", details="·"))
        pieces += said[:1] if key in OPENING_KEYS else [*said, *splitter.flush()]
    return pieces


async def open_database(settings: Settings) -> tuple[Database, DatabaseLock | None]:
    """The database with its cipher, migrated; the lock tells `jarvis restore` and `jarvis keys` a server runs."""
    db = Database(settings.database_url)
    lock = DatabaseLock(db.path) if db.path is not None else None
    if lock is not None and not lock.try_acquire():
        log.warning("database-in-use", path=str(db.path))
    try:
        db.use_cipher(await open_cipher(settings, db))
        await db.migrate()
    except BaseException:
        await db.close()
        if lock is not None:
            lock.release()
        raise
    return db, lock


async def build_services(
    settings: Settings, *, engine: ChatEngine | None = None, metrics: Metrics | None = None
) -> Services:
    db, lock = await open_database(settings)
    metrics = metrics or Metrics()
    engine = engine or build_engine(settings)
    llm = LlmService(
        engine,
        metrics,
        max_queue=settings.llm.max_queue,
        first_token_timeout_seconds=settings.llm.first_token_timeout_seconds,
        timeout_seconds=settings.llm.timeout_seconds,
        prefix_warming=settings.llm.prefix_warming,
    )
    prompts = PromptBuilder(
        language=settings.chat.language,
        timezone=ZoneInfo(settings.chat.timezone) if settings.chat.timezone else None,
        history_tokens=settings.chat.history_tokens,
        tools_hint=settings.tools.enabled,
    )
    params = GenerationParams(
        max_tokens=settings.llm.max_tokens,
        temperature=settings.llm.temperature,
        repeat_penalty=settings.llm.repeat_penalty,
    )
    speech = SpeechService(
        build_transcriber(settings),
        build_synthesizer(settings),
        metrics,
        language=settings.stt.language or settings.chat.language,
        hotwords=settings.stt.hotwords,
        max_audio_seconds=settings.stt.max_audio_seconds,
        max_text_chars=settings.tts.max_text_chars,
        voice=tts_voice(settings),
        speed=settings.tts.speed,
        first_clause_min_chars=settings.tts.first_clause_min_chars,
        first_piece_wait_seconds=settings.tts.first_piece_wait_seconds,
        priority=cpu_priority if settings.tts.audio_first else None,
        stt_timeout_seconds=settings.stt.timeout_seconds,
        tts_timeout_seconds=settings.tts.timeout_seconds,
        holds_speech=build_speech_check(settings),
    )
    conversations = ConversationRepository(db)
    hub = SessionHub()
    timers = TimerService(
        TimerRepository(db),
        now=prompts.now,
        language=settings.chat.language,
        min_seconds=settings.timers.min_seconds,
        max_seconds=settings.timers.max_seconds,
    )
    timers.announcer = hub
    tools = ToolRegistry(timeout_seconds=settings.tools.timeout_seconds, language=settings.chat.language)
    memory, learner = None, None
    if settings.memory.enabled:
        memory = MemoryService(
            MemoryRepository(db),
            E5Embedder(),
            language=settings.chat.language,
            recall_limit=settings.memory.recall_limit,
            min_score=settings.memory.min_score,
            default_retention=settings.memory.default_retention,
        )
        await memory.start()
        memory.on_profile_change(prompts.set_profile)
    home, fast_path, home_intents = build_fast_path(settings, prompts)
    # The house as tools: the weather always (without a source the model must say so, not invent one); devices
    # when Home Assistant is configured (their definitions lengthen every prompt).
    house = HomeTools(home_intents, home, settings.chat.language)
    timer_intents = register_timer_intents(fast_path, timers)
    builtin = [
        *datetime_tools(prompts.now, settings.chat.language),
        *timer_tools(timers, timer_intents.ask_time),
        *(memory_tools(memory) if memory is not None else []),
        *(house.tools() if home.enabled else []),
        house.weather_tool(),
    ]
    tools.set_source("builtin", builtin)
    timers.notifier = home  # finished timers also go to home_assistant.notify_service, when set
    speech.names = _known_names(home, memory)
    pipeline = ChatPipeline(
        conversations,
        llm,
        prompts,
        params,
        metrics,
        settings.chat.max_message_chars,
        speech,
        tools=tools if settings.tools.enabled else None,
        max_tool_steps=settings.tools.max_steps,
        memory=memory,
        fast_path=fast_path,
    )

    pipeline.summariser = ConversationSummariser(
        llm, prompts, conversations, rewarm=pipeline.warmer.rewarm, summary_tokens=settings.chat.summary_tokens
    )
    if memory is not None and settings.memory.learn:
        learner = MemoryLearner(
            memory,
            llm,
            prompts,
            rewarm=pipeline.warmer.rewarm,
            tools=lambda: pipeline.tool_specs,
        )
        pipeline.learner = learner
    plugins = None
    if settings.plugins.enabled:
        plugins = PluginManager(tools, settings.plugins_dir, entry_points_enabled=settings.plugins.entry_points)
    mcp = McpManager(settings.mcp.servers, tools, settings.tools.timeout_seconds) if settings.mcp.servers else None
    services = Services(
        plugins=plugins,
        mcp=mcp,
        settings=settings,
        speech=speech,
        db=db,
        metrics=metrics,
        engine=engine,
        llm=llm,
        prompts=prompts,
        conversations=conversations,
        tokens=TokenRepository(db),
        memory=memory,
        learner=learner,
        pipeline=pipeline,
        params=params,
        lock=lock,
        backups=backup_scheduler(settings, db),
        tools=tools,
        timers=timers,
        hub=hub,
        home=home,
        fast_path=fast_path,
    )
    if settings.mqtt.enabled:
        services.mqtt = MqttBridge(settings.mqtt, services.converse, services.readiness)
        pipeline.observers.append(services.mqtt.observe)
    return services


def backup_scheduler(settings: Settings, db: Database) -> BackupScheduler | None:
    if not settings.backup.enabled:
        return None
    if db.path is None:
        log.warning("backup-not-sqlite", url=settings.database_url)
        return None
    return BackupScheduler(db.path, settings.backup_dir, settings.backup.interval_hours * 3600, settings.backup.keep)


def _known_names(home: HomeService, memory: MemoryService | None) -> Callable[[], list[str]]:
    """The names speech recognition should expect: the user's (profile), then the house's rooms and devices."""

    def names() -> list[str]:
        own = memory.profile.get("name") if memory is not None else None
        return [*([own] if own else []), *home.spoken_names()]

    return names


def build_fast_path(settings: Settings, prompts: PromptBuilder) -> tuple[HomeService, FastPath, HomeIntents]:
    """The fast path with its built-in intents (time, date, the house); other modules register more into it."""
    ha = settings.home_assistant
    language = settings.chat.language
    fast_path = FastPath(
        languages=(language, *(lang for lang in ("fr", "en") if lang != language)),
        pending_seconds=ha.pending_seconds,
        timeout_seconds=ha.timeout_seconds + ha.verify_timeout_seconds + 1,
    )
    home = HomeService(ha)
    intents = HomeIntents(home, fast_path)
    intents.register()
    register_own_intents(fast_path, prompts)
    return home, fast_path, intents
