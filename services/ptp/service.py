"""The PTP grandmaster as the supervisor sees it: the asyncio adapter that feeds the port
(services/ptp/port.py) datagrams with their kernel timestamps, sends what it says, and hands
it the transmit time of each Sync from the socket's error queue.

Every kernel timestamp is made host realtime (a hardware one through the NIC's PHC offset,
services/ptp/timestamping.py), then goes through the served clock (`to_served`) before the
port sees it, so a slave follows the appliance's time and not the host's.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from firmware.base.config.schema import PtpSection
from firmware.base.events import EventBus, Severity
from firmware.base.service import ServiceTasks, StartError
from firmware.timing.leapfile import LeapFileError, LeapTable, load_leap_file
from firmware.timing.leaps import LeapSchedule
from firmware.timing.sync_state import SyncState
from services.ptp.datasets import PortState
from services.ptp.messages import Flag
from services.ptp.port import GrandmasterPort, PortSettings, Send, StateChange, TimeProperties
from services.ptp.properties import time_properties
from services.ptp.sockets import (
    ANCILLARY,
    BUFFER,
    GROUP,
    MSG_ERRQUEUE,
    PtpSockets,
    clock_identity,
    open_sockets,
    receive_stamp,
)
from services.ptp.timestamping import TimestampingError, Timestamps, open_timestamps

PROPERTIES_S = 0.25
"""How often the time properties follow the sync state."""
MAX_WAIT_S = 0.05
PENDING_TX = 4
SLAVES_SHOWN = 32
TIME_FLAGS = (Flag.LEAP61, Flag.LEAP59, Flag.UTC_OFFSET_VALID, Flag.PTP_TIMESCALE,
              Flag.TIME_TRACEABLE, Flag.FREQUENCY_TRACEABLE)  # fmt: skip
SEVERITY = {PortState.PASSIVE: Severity.WARNING, PortState.MASTER: Severity.NOTICE}


class TimingView(Protocol):
    """What the grandmaster reads of the discipline (firmware/timing's Discipline)."""

    leaps: LeapSchedule

    def sync_state(self, host_ns: int) -> SyncState: ...

    def leap_at_ns(self, host_ns: int) -> int | None: ...


class PtpService:
    name = "ptp"

    def __init__(
        self,
        section: PtpSection,
        leap_file: str,
        timing: TimingView,
        host_now: Callable[[], int],
        to_served: Callable[[int], int],
        events: EventBus,
    ) -> None:
        self.section = section
        self.leap_file = leap_file
        self.timing = timing
        self.host_now = host_now
        self.to_served = to_served
        self.events = events
        self.tasks = ServiceTasks()
        self.sockets: PtpSockets | None = None
        self.stamps: Timestamps | None = None
        self.port: GrandmasterPort | None = None
        self.last_change: StateChange | None = None
        self.table: LeapTable | None = None
        self.sent: list[tuple[int, bytes]] = []
        """Syncs awaiting their transmit timestamp: (sequence id, bytes sent)."""
        self.io = {"send_errors": 0, "tx_timestamps": 0, "tx_timestamp_missing": 0}

    async def start(self) -> None:
        section = self.section
        try:
            identity = clock_identity(section.interface)
            self.stamps = open_timestamps(section.timestamping, section.interface)
            self.sockets = open_sockets(section.interface, section.port, self.stamps.hardware)
        except (OSError, TimestampingError) as exc:
            self._close()
            raise StartError(f"PTP: {exc}") from exc
        self.table = self._leap_table()
        settings = PortSettings(
            identity, section.domain, section.priority1, section.priority2,
            section.log_announce_interval, section.log_sync_interval,
            section.log_min_delay_req_interval, section.announce_receipt_timeout,
            tuple(section.allow),
        )  # fmt: skip
        self.port = GrandmasterPort(settings, self._properties(), time.monotonic_ns())
        loop = asyncio.get_running_loop()
        loop.add_reader(self.sockets.event.fileno(), self._readable, self.sockets.event)
        loop.add_reader(self.sockets.general.fileno(), self._readable, self.sockets.general)
        self.tasks.spawn(self._run(), "ptp port")

    def _leap_table(self) -> LeapTable | None:
        if not self.leap_file:
            return None
        try:
            return load_leap_file(Path(self.leap_file))
        except LeapFileError:
            return None  # the timing service reports it; PTP announces the offset not valid

    def _properties(self) -> TimeProperties:
        host = self.host_now()
        served = self.to_served(host)
        return time_properties(
            self.timing.sync_state(host), served, self.table, self.timing.leap_at_ns(host),
            self.timing.leaps.events,
        )  # fmt: skip

    async def _run(self) -> None:
        assert self.port is not None
        next_properties = 0
        while True:
            now = time.monotonic_ns()
            if now >= next_properties:
                self.port.update(self._properties())
                next_properties = now + int(PROPERTIES_S * 1e9)
            self._send(self.port.poll(now))
            self._report_changes()
            wait = min(self.port.deadline(), next_properties) - time.monotonic_ns()
            await asyncio.sleep(max(0.0, min(MAX_WAIT_S, wait / 1e9)))

    def _report_changes(self) -> None:
        assert self.port is not None
        while self.port.changes:
            change: StateChange = self.port.changes.popleft()
            self.last_change = change
            master = f" ({change.master.text()})" if change.master else ""
            self.events.emit(
                "ptp.port_state", SEVERITY.get(change.new, Severity.INFO),
                f"PTP port {change.old.name} -> {change.new.name}: {change.reason}{master}",
            )  # fmt: skip

    def _send(self, sends: list[Send]) -> None:
        assert self.sockets is not None and self.port is not None
        for send in sends:
            sock = self.sockets.general if send.general else self.sockets.event
            port = self.section.port + 1 if send.general else self.section.port
            try:
                sock.sendto(send.data, (GROUP, port))
            except OSError:
                self.io["send_errors"] += 1
                continue
            if send.stamp is not None:
                if len(self.sent) >= PENDING_TX:
                    self.sent.pop(0)
                    self.io["tx_timestamp_missing"] += 1
                self.sent.append((send.stamp, send.data))

    def _readable(self, sock: socket.socket) -> None:
        """Drain the error queue (transmit timestamps), then the datagrams waiting."""
        assert self.port is not None
        if self.sockets is not None and sock is self.sockets.event:
            self._transmit_stamps(sock)
        for _ in range(64):
            try:
                data, ancillary, _flags, peer = sock.recvmsg(BUFFER, ANCILLARY)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                continue
            stamp = self._stamp(ancillary)
            served = self.to_served(stamp) if stamp is not None else None
            self._send(self.port.receive(data, peer[0], served, time.monotonic_ns()))
        self._report_changes()

    def _transmit_stamps(self, sock: socket.socket) -> None:
        assert self.port is not None
        for _ in range(16):
            try:
                data, ancillary, _flags, _peer = sock.recvmsg(BUFFER, ANCILLARY, MSG_ERRQUEUE)
            except OSError:  # BlockingIOError: the queue is empty
                return
            stamp = self._stamp(ancillary)
            for index, (sequence, sent) in enumerate(self.sent):
                if stamp is not None and data.endswith(sent):
                    del self.sent[: index + 1]
                    self.io["tx_timestamps"] += 1
                    self._send(self.port.transmitted(sequence, self.to_served(stamp)))
                    break

    def _stamp(self, ancillary: list[tuple[int, int, Any]]) -> int | None:
        """The kernel's timestamp of a datagram as host realtime; None when there is none."""
        assert self.stamps is not None
        stamp = receive_stamp(ancillary, self.stamps.hardware)
        try:
            return self.stamps.host_ns(stamp) if stamp is not None else None
        except (OSError, ValueError):  # the PHC could not be read against the system clock
            return None

    def _close(self) -> None:
        if self.sockets is not None:
            self.sockets.close()
            self.sockets = None
        if self.stamps is not None:
            self.stamps.close()

    async def wait(self) -> None:
        await self.tasks.wait()

    async def stop(self) -> None:
        await self.tasks.cancel_all()
        if self.sockets is not None:
            loop = asyncio.get_running_loop()
            for sock in (self.sockets.event, self.sockets.general):
                loop.remove_reader(sock.fileno())
        self._close()

    def status(self) -> dict[str, object]:
        if self.port is None:
            return {"port_state": "STOPPED"}
        port, change = self.port, self.last_change
        return {
            "port_state": port.state.name,
            "state_reason": change.reason if change else "listening before it masters",
            "better_master": change.master.text() if change and change.master else "",
            "clock_identity": port.identity.text(),
            "interface": self.section.interface,
            "domain": self.section.domain,
            "timestamping": self.stamps.decision.text() if self.stamps else "",
            "clock_class": port.properties.quality.clock_class,
            "clock_accuracy": port.properties.quality.accuracy,
            "offset_scaled_log_variance": port.properties.quality.variance,
            "utc_offset": port.properties.utc_offset,
            "time_source": port.properties.time_source,
            "flags": [flag.name.lower() for flag in TIME_FLAGS if port.properties.flags & flag],
            "priority1": self.section.priority1,
            "priority2": self.section.priority2,
            "slaves": len(port.slaves),
            "slaves_heard": [
                [address, slave.identity.text(), slave.requests, slave.last_ns]
                for address, slave in reversed(port.slaves.items())
            ][:SLAVES_SHOWN],
            **port.counters,
            **self.io,
        }
