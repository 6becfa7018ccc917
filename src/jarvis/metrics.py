"""Prometheus metrics, one registry per application instance."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
TTFT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0)
RATE_BUCKETS = (1, 2, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 200)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "jarvis_http_requests",
            "HTTP requests by route template, method and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "jarvis_http_request_seconds",
            "HTTP request latency (until the response starts)",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.llm_ttft = Histogram(
            "jarvis_llm_time_to_first_token_seconds",
            "From the generation start (after queueing) to the first token",
            ["backend"],
            buckets=TTFT_BUCKETS,
            registry=self.registry,
        )
        self.llm_tokens_per_second = Histogram(
            "jarvis_llm_tokens_per_second",
            "Decoding speed of each generation (tokens after the first / time after the first)",
            ["backend"],
            buckets=RATE_BUCKETS,
            registry=self.registry,
        )
        self.llm_queue_depth = Gauge(
            "jarvis_llm_queue_depth", "Generations waiting for the model", registry=self.registry
        )
        self.llm_running = Gauge("jarvis_llm_running", "Generations running now", registry=self.registry)
        self.llm_rejected = Counter(
            "jarvis_llm_rejected", "Generations refused because the queue was full", registry=self.registry
        )
        self.llm_errors = Counter(
            "jarvis_llm_errors", "Generations that failed, by error code", ["code"], registry=self.registry
        )
        self.stt_seconds = Histogram(
            "jarvis_stt_seconds",
            "Speech recognition time per utterance",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.tts_seconds = Histogram(
            "jarvis_tts_seconds", "Speech synthesis time per request", buckets=LATENCY_BUCKETS, registry=self.registry
        )
        self.first_audio_seconds = Histogram(
            "jarvis_voice_first_audio_seconds",
            "From the end of the user's speech (start of a spoken run) to the first reply audio byte",
            buckets=TTFT_BUCKETS,
            registry=self.registry,
        )
        self.runs = Counter("jarvis_runs", "Pipeline runs by final status", ["status"], registry=self.registry)
