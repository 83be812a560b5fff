"""Prometheus metrics at /metrics, read from the status tree at scrape time (the same tree
`timeserver status --json` prints), in the text exposition format of prometheus-client.
Every name starts with timeserver_."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from firmware.base.events import Event
from firmware.base.status import REPORTS, StatusTree

SYNC_STATES = ("FREERUN", "LOCKED", "HOLDOVER", "UNSYNC")
NTP_OUTCOMES = ("served", "served_stale", "authenticated", "denied", "rate_limited",
                "kod_sent", "bad_mac", "mode6", "mode7", "malformed", "bad_version",
                "other_modes")  # fmt: skip
"""The NTP workers' counters, as `ntp stats` shows them."""
REFUSED = ("denied", "rate_limited", "bad_mac", "malformed", "bad_version", "mode7",
           "other_modes")  # fmt: skip
NS = 1e9


GAUGES = (
    ("timeserver_estimated_error_seconds", "Bound on the served time's error.", "timing",
     "est_error_ns", NS),
    ("timeserver_offset_seconds", "Last measured offset of served time to GPS.", "timing",
     "last_offset_ns", NS),
    ("timeserver_stratum", "NTP stratum served.", "timing", "stratum", 1.0),
    ("timeserver_leap_indicator", "NTP leap indicator served (3: unsynchronized).", "timing",
     "leap_indicator", 1.0),
    ("timeserver_holdover_seconds", "Time in holdover.", "timing", "holdover_s", 1.0),
    ("timeserver_gps_satellites_used", "Satellites in the fix.", "gps", "satellites_used", 1.0),
    ("timeserver_gps_satellites_in_view", "Satellites in view.", "gps", "satellites_in_view",
     1.0),
)  # fmt: skip
"""(metric, help, status section, key, what to divide by for the metric's unit)"""


def _number(section: dict[str, Any], key: str) -> float | None:
    value = section.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class LoginFailures:
    """Counts failed logins on every console (an event sink)."""

    def __init__(self) -> None:
        self.count = 0

    def seen(self, event: Event) -> None:
        if event.kind == "login.failed":
            self.count += 1


class StatusCollector(Collector):
    def __init__(self, status: Callable[[], StatusTree], login_failures: Callable[[], int]):
        self.status = status
        self.login_failures = login_failures

    def collect(self) -> Iterator[Metric]:
        tree = self.status()
        timing = tree.get("timing", {})
        state = GaugeMetricFamily(
            "timeserver_sync_state", "1 for the current sync state.", labels=["state"]
        )
        for name in SYNC_STATES:
            state.add_metric([name], 1.0 if timing.get("sync_state") == name else 0.0)
        yield state
        for metric, doc, section, key, scale in GAUGES:
            value = _number(tree.get(section, {}), key)
            if value is not None:
                yield GaugeMetricFamily(metric, doc, value=value / scale)
        yield from self._ntp(tree.get("ntp", {}))
        up = GaugeMetricFamily("timeserver_service_up", "1 when the service runs.",
                               labels=["service"])  # fmt: skip
        for name, fields in tree.items():
            if name not in REPORTS:
                up.add_metric([name], 1.0 if fields.get("state") == "running" else 0.0)
        yield up
        yield CounterMetricFamily("timeserver_login_failures", "Failed logins on every console "
                                  "since HTTPS started.", value=self.login_failures())  # fmt: skip

    def _ntp(self, ntp: dict[str, Any]) -> Iterator[Metric]:
        if _number(ntp, "served") is None:
            return
        packets = CounterMetricFamily("timeserver_ntp_requests", "NTP requests by outcome "
                                      "(ntp stats).", labels=["outcome"])  # fmt: skip
        for name in NTP_OUTCOMES:
            packets.add_metric([name], _number(ntp, name) or 0.0)
        yield packets
        replies = _number(ntp, "served") or 0.0  # served_stale is a part of served
        yield CounterMetricFamily("timeserver_ntp_replies", "NTP replies with time.", value=replies)
        yield CounterMetricFamily("timeserver_ntp_kod", "Kiss-o'-Death replies sent.",
                                  value=_number(ntp, "kod_sent") or 0.0)  # fmt: skip
        refused = CounterMetricFamily("timeserver_ntp_refused", "NTP requests not answered with "
                                      "time, by reason.", labels=["reason"])  # fmt: skip
        for name in REFUSED:
            refused.add_metric([name], _number(ntp, name) or 0.0)
        yield refused


def exposition(collector: StatusCollector) -> tuple[bytes, str]:
    """The text exposition of one scrape, and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST
