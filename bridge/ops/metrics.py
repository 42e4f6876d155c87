"""Prometheus metrics, served at ``GET /metrics``.

- ``bridge_ack_seconds``: time from a Slack request's arrival to the bridge's answer.
- ``bridge_jobs``: jobs by state (read from the store at scrape time).
- ``bridge_call_seconds`` / ``bridge_call_errors_total``: Amity and Slack calls by
  service and operation, errors by code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bridge.delivery.outbox import JobState

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0)


class JobsCollector(Collector):
    """``bridge_jobs{state=...}`` from the store."""

    def __init__(self, counts: Callable[[], dict[JobState, int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("bridge_jobs", "Jobs in the store by state", labels=["state"])
        for state, count in self.counts().items():
            family.add_metric([state.value], count)
        yield family


class Metrics:
    """The bridge's metrics, in a registry of their own."""

    def __init__(self, job_counts: Callable[[], dict[JobState, int]] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.ack = Histogram(
            "bridge_ack_seconds",
            "Time to answer a Slack request",
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.calls = Histogram(
            "bridge_call_seconds",
            "Amity and Slack call latency",
            ["service", "operation"],
            registry=self.registry,
        )
        self.errors = Counter(
            "bridge_call_errors_total",
            "Failed Amity and Slack calls",
            ["service", "operation", "code"],
            registry=self.registry,
        )
        if job_counts is not None:
            self.registry.register(JobsCollector(job_counts))

    def observe_call(
        self, service: str, operation: str, seconds: float, error: str | None = None
    ) -> None:
        """Record one outgoing call."""
        self.calls.labels(service, operation).observe(seconds)
        if error is not None:
            self.errors.labels(service, operation, error).inc()

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
