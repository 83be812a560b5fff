"""The appliance's configuration schema: every key, its type, default, range and meaning.

The field types live in fields.py and the [services.*] tables in services.py; they are
named here too, so the schema is one place to import from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from firmware.base.config.fields import (
    Address,
    LinkDir,
    LinkName,
    Network,
    Port,
    Section,
    SyslogTarget,
    UtcInstant,
)
from firmware.base.config.services import (
    ConsoleSection,
    DaytimeSection,
    HttpsSection,
    NtpRateLimit,
    NtpRule,
    NtpSection,
    PtpSection,
    Services,
    ServiceSection,
    SnmpSection,
    SshSection,
    TelnetSection,
    TimeSection,
)
from hal.gps.types import GpsScenario

SERVICE_NAMES = ("ntp", "daytime", "time", "ssh", "telnet", "snmp", "https", "ptp", "console")

__all__ = [
    "SERVICE_NAMES",
    "Address",
    "ConsoleSection",
    "DaytimeSection",
    "GpsScenario",
    "HttpsSection",
    "Network",
    "NtpRateLimit",
    "NtpRule",
    "NtpSection",
    "Port",
    "PtpSection",
    "Section",
    "ServiceSection",
    "Services",
    "SnmpSection",
    "SshSection",
    "TelnetSection",
    "TimeSection",
]


class SimGps(Section):
    scenario: GpsScenario = Field("locked", description="Scenario the receiver starts in.")
    link: LinkName = Field(
        "gps0",
        description="Name of a symlink, made in [device] link_dir, to a pty with a copy of the "
        "receiver's NMEA, for gpsd or a terminal (gpsd -N -n -b DATA_DIR/links/gps0); empty "
        "for none.",
    )
    cold_start_seconds: int = Field(
        30, ge=0, le=3600, description="Seconds without a fix in the cold_start scenario."
    )
    reacquire_seconds: int = Field(
        5, ge=0, le=3600, description="Seconds to a fix again in the signal_regained scenario."
    )
    phase_error_ns: int = Field(
        0, ge=-1_000_000_000, le=1_000_000_000, description="Constant offset of every PPS edge."
    )
    pps_jitter_ns: int = Field(
        30, ge=0, le=100_000_000, description="RMS jitter of PPS edges; timing receivers: 20-50."
    )
    missing_pulse_percent: float = Field(
        0.0, ge=0, le=100, description="Share of PPS pulses that never come."
    )
    corrupt_percent: float = Field(
        0.0, ge=0, le=100, description="Share of NMEA sentences damaged or cut short."
    )
    latitude: float = Field(48.1173, ge=-90, le=90, description="Antenna latitude, degrees.")
    longitude: float = Field(11.5167, ge=-180, le=180, description="Antenna longitude, degrees.")
    altitude: float = Field(545.4, ge=-500, le=10_000, description="Antenna altitude, metres.")
    clock_offset_ns: int = Field(
        0, ge=-10**12, le=10**12,
        description="True UTC of the simulated world minus the host clock at start.",
    )  # fmt: skip
    clock_ppm: float = Field(
        0.0, ge=-100, le=100, description="How fast true UTC gains on the host clock, in ppm."
    )
    clock_wander: bool = Field(
        False,
        description="True UTC's frequency also wanders as the [timing] oscillator's figures say.",
    )
    seed: int = Field(
        1, ge=0, le=2**32 - 1, description="Seed of that wander, so a run can be repeated."
    )
    leap_at: UtcInstant = Field(
        "",
        description="UTC just after the leap second the leap_insert and leap_delete scenarios "
        "announce, e.g. 2027-01-01T00:00:00Z; set it minutes ahead to rehearse a leap. Empty: "
        "the end of the current month.",
    )


class SerialGps(Section):
    url: str = Field(
        "/dev/ttyS0",
        min_length=1,
        description="pyserial URL of the receiver: /dev/ttyS0, socket://host:port, rfc2217://...",
    )
    baud: int = Field(9600, ge=1200, le=921600, description="Line speed in bit/s.")
    pps: str = Field("", description="Linux PPS device (/dev/pps0); empty for none.")


class GpsdGps(Section):
    host: str = Field("127.0.0.1", min_length=1, description="Host of gpsd.")
    port: Port = Field(2947, description="TCP port of gpsd.")
    device: str = Field("", description="Device to watch; empty watches every device gpsd has.")


class Gps(Section):
    backend: Literal["sim", "serial", "gpsd"] = Field(
        "sim", description="Which receiver to read: simulated, NMEA on a serial line, or gpsd."
    )
    sim: SimGps = Field(default_factory=SimGps, description="Options of the sim backend.")
    serial: SerialGps = Field(default_factory=SerialGps, description="Options of serial.")
    gpsd: GpsdGps = Field(default_factory=GpsdGps, description="Options of the gpsd backend.")


Facility = Literal[
    "kern",
    "user",
    "daemon",
    "auth",
    "authpriv",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
]


class Syslog(Section):
    targets: list[SyslogTarget] = Field(
        default_factory=list,
        description="Remote collectors: udp://host:514, tcp://host:514, tls://host:6514.",
    )
    ca_file: str = Field(
        "", description="PEM file of the CAs that sign tls:// collectors; empty uses the system's."
    )
    facility: Facility = Field(
        "daemon", description="Facility of ordinary events; security events use authpriv."
    )
    queue: int = Field(
        10000,
        ge=10,
        le=1_000_000,
        description="Events kept per target while its collector is unreachable.",
    )


class Events(Section):
    max_bytes: int = Field(
        1_000_000, ge=10_000, le=1_000_000_000, description="Size at which the event log rotates."
    )
    keep: int = Field(5, ge=1, le=100, description="Rotated event logs kept besides the current.")


class Admin(Section):
    lockout_failures: int = Field(
        5, ge=1, le=100,
        description="Failed logins within the window that lock source and account "
        "(or the console).",
    )  # fmt: skip
    lockout_window_s: int = Field(
        300, ge=10, le=86400, description="The window failed logins are counted in, seconds."
    )
    lockout_s: int = Field(
        900,
        ge=10,
        le=86400,
        description="How long a locked source address, or an account for network logins, "
        "stays locked.",
    )
    console_lockout_s: int = Field(
        60, ge=10, le=3600,
        description="How long the serial console refuses logins after failed ones there; "
        "network failures never lock it.",
    )  # fmt: skip
    idle_timeout_s: int = Field(
        600, ge=30, le=86400, description="Console, SSH and telnet sessions idle this long end."
    )
    recovery_window_s: int = Field(
        300, ge=0, le=3600,
        description="For this long after the appliance starts, the serial console accepts "
        "the user `recovery` to set a new admin password; 0: never.",
    )  # fmt: skip


class Timing(Section):
    oscillator: Literal["tcxo", "ocxo", "rubidium"] = Field(
        "tcxo", description="The local oscillator fitted; its figures bound the holdover error."
    )
    step_threshold_ns: int = Field(
        128_000_000, ge=1_000, le=10**12,
        description="Offsets beyond this are stepped (an event each time), smaller ones slewed.",
    )  # fmt: skip
    holdover_budget_ns: int = Field(
        1_000_000, ge=100, le=10**12,
        description="Estimated error at which HOLDOVER becomes UNSYNC (stratum 16).",
    )  # fmt: skip
    lock_samples: int = Field(
        10, ge=1, le=3600, description="Good PPS seconds in a row needed to be LOCKED."
    )
    lock_threshold_ns: int = Field(
        1_000, ge=10, le=10**9, description="An offset within this counts as good for locking."
    )
    loss_seconds: int = Field(
        5, ge=2, le=3600, description="Seconds without a usable PPS second before HOLDOVER."
    )
    leap_file: str = Field(
        "/usr/share/zoneinfo/leap-seconds.list",
        description="IETF/NIST leap-seconds.list (hash checked); empty for none.",
    )
    smear: bool = Field(
        False,
        description="Spread leap seconds over 24 h; unsuitable for public servers.",
    )


class Panel(Section):
    backend: Literal["sim"] = Field("sim", description="Front panel hardware: simulated.")
    size: Literal["2x20", "4x20"] = Field("4x20", description="Character display, rows x columns.")
    pin_attempts: int = Field(
        5, ge=1, le=20, description="Wrong keypad PINs in a row before a lockout."
    )
    lockout_seconds: int = Field(
        300, ge=10, le=86400, description="How long the keypad refuses PINs after a lockout."
    )
    relock_seconds: int = Field(
        300, ge=0, le=86400,
        description="Lock an unlocked keypad that has a PIN after this long without a key "
        "press (0: never).",
    )  # fmt: skip


class Device(Section):
    name: str = Field(
        "",
        max_length=63,
        pattern=r"^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)?$",
        description="Host name of the appliance; empty uses timeserver-<serial>.",
    )
    link_dir: LinkDir = Field(
        "",
        description="Directory of the symlinks to simulated devices' ptys, kept for them alone "
        "(it may hold nothing but links); empty uses links/ in the data directory.",
    )


class Firmware(Section):
    trial_seconds: int = Field(
        300, ge=1, le=86400,
        description="A newly installed firmware commits itself once every enabled service has "
        "run this long and the sync state is back where it was; it rolls back if that has not "
        "happened within three times this.",
    )  # fmt: skip
    trial_boots: int = Field(
        3, ge=1, le=20,
        description="Boots a firmware on trial gets before the boot loader goes back to the "
        "previous one.",
    )  # fmt: skip
    upload_max_bytes: int = Field(
        256 << 20, ge=1 << 20, le=4 << 30,
        description="Bytes the upload area (SFTP and the web page, admins only, for bundles) "
        "may hold in all.",
    )  # fmt: skip


class Config(Section):
    """The whole configuration file."""

    device: Device = Field(default_factory=Device, description="The appliance itself.")
    services: Services = Field(default_factory=Services, description="Network services.")
    gps: Gps = Field(default_factory=Gps, description="GPS receiver.")
    syslog: Syslog = Field(default_factory=Syslog, description="Remote syslog.")
    events: Events = Field(default_factory=Events, description="Local event log.")
    panel: Panel = Field(default_factory=Panel, description="Front panel and keypad.")
    timing: Timing = Field(default_factory=Timing, description="Clock discipline.")
    admin: Admin = Field(default_factory=Admin, description="Logins on every console.")
    firmware: Firmware = Field(default_factory=Firmware, description="Firmware upgrades.")
