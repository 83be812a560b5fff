"""What the appliance's services are built from besides their own config section."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from firmware.admin.controls import Controls
from firmware.admin.guard import LoginGuard
from firmware.base.config import Config
from firmware.base.events import EventBus
from firmware.base.status import StatusTree
from firmware.identity import Identity
from firmware.timing.clock import DisciplinedClock
from firmware.timing.discipline import Discipline
from firmware.timing.gps_monitor import GpsMonitor
from hal.clock import Clock
from services.ntp.counters import SinceBoot


@dataclass(frozen=True)
class Context:
    """What services are built from besides their own config."""

    data_dir: Path
    identity: Identity
    events: EventBus
    clock: Clock
    """The host's realtime clock (with the sim GPS, true UTC is a model of its own)."""
    gps: GpsMonitor
    discipline: Discipline
    served: DisciplinedClock
    """The clock services stamp replies with."""
    guard: LoginGuard
    status: Callable[[], StatusTree] = dict
    """What `status` shows on every console: set by the Appliance to its supervisor's."""
    controls: Callable[[Config], Controls] | None = None
    """What the command line may touch: set by the Appliance."""
    reboot: Callable[[], None] = lambda: None
    """Stop every service and start the firmware again through the boot loader: set by the
    Appliance."""
    ntp_since_boot: SinceBoot = field(default_factory=SinceBoot)
    started_ns: int = field(default_factory=time.monotonic_ns)
    """CLOCK_MONOTONIC when the appliance started: the password recovery window counts from it."""
    """What NTP workers that are gone had counted: `ntp stats` counts since boot."""
