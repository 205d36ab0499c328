"""Metrics for Prometheus ([metrics]): what was screened and how, how long scans take,
what waits in the spool, and how the upstream answers.

One registry per App (no module-level state). Counters are bumped by the screener and
the deliverer; the queue sizes are read from the spool at scrape time, so they are
right even for entries the CLI moved. Labels carry actions, categories and queue names
only: never an address, a subject or a rule's evidence.
"""
from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

from gateway.relay.spool import QUEUES, Spool

log = logging.getLogger("mailscreen.metrics")

SCAN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)


class SpoolCollector:
    """Queue sizes, the deferred count and the age of the oldest waiting message."""

    def __init__(self, spool: Spool, deferred):
        self.spool = spool
        self.deferred = deferred  # () -> int: outgoing entries waiting for a retry

    def collect(self):
        sizes = GaugeMetricFamily("mailscreen_queue_messages",
                                  "Messages in each spool queue", labels=["queue"])
        for queue in QUEUES:
            sizes.add_metric([queue], len(self.spool.list(queue)))
        yield sizes
        yield GaugeMetricFamily("mailscreen_deferred_messages",
                                "Messages waiting for another delivery attempt",
                                value=self.deferred())
        yield GaugeMetricFamily("mailscreen_corrupt_messages",
                                "Spool entries that could not be read (in corrupt/)",
                                value=len(self.spool.list("corrupt")))
        oldest = GaugeMetricFamily("mailscreen_queue_oldest_seconds",
                                   "Age of the oldest message in a queue", labels=["queue"])
        now = time.time()
        for queue in ("incoming", "outgoing", "hold"):
            ids = self.spool.list(queue)
            age = 0.0
            if ids:
                try:
                    age = max(0.0, now - self.spool.path(queue, ids[0]).stat().st_mtime)
                except FileNotFoundError:
                    pass
            oldest.add_metric([queue], age)
        yield oldest


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry(auto_describe=True)
        self.messages = Counter(
            "mailscreen_messages", "Messages screened, by action and category "
            "(category 'none' for mail without findings that counted)",
            ["action", "category"], registry=self.registry)
        self.scan_seconds = Histogram("mailscreen_scan_seconds", "Time to scan one message",
                                      buckets=SCAN_BUCKETS, registry=self.registry)
        self.deliveries = Counter("mailscreen_deliveries", "Recipients by delivery result "
                                  "(delivered, deferred, bounced)", ["result"],
                                  registry=self.registry)
        self.upstream_errors = Counter(
            "mailscreen_upstream_errors", "Delivery attempts the upstream refused or that "
            "failed to reach it, by kind (temporary, permanent)", ["kind"],
            registry=self.registry)
        self.notices = Counter("mailscreen_notices", "Notices sent to senders, by kind "
                               "(bounce, delay, held, rejected)", ["kind"],
                               registry=self.registry)
        self._server = None
        self._thread = None

    def watch_spool(self, spool: Spool, deferred) -> None:
        self.registry.register(SpoolCollector(spool, deferred))

    def screened(self, action: str, categories: list[str], seconds: float) -> None:
        for category in categories or ["none"]:
            self.messages.labels(action, category).inc()
        self.scan_seconds.observe(seconds)

    def delivered(self, delivered: int, deferred: int, bounced: int, error: str = "") -> None:
        for result, n in (("delivered", delivered), ("deferred", deferred), ("bounced", bounced)):
            if n:
                self.deliveries.labels(result).inc(n)
        if error:
            self.upstream_errors.labels(error).inc()

    # -- the HTTP endpoint -----------------------------------------------------------------

    def serve(self, host: str, port: int) -> None:
        from prometheus_client import start_http_server

        self._server, self._thread = start_http_server(port, addr=host, registry=self.registry)
        log.info("metrics on http://%s:%d/metrics", host, port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
