"""The appliance's configuration schema: every key, its type, default, range and meaning."""

from __future__ import annotations

import ipaddress
import re
from pathlib import PurePosixPath
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from hal.gps.types import GpsScenario

SERVICE_NAMES = ("ntp", "daytime", "time", "ssh", "telnet", "snmp", "https", "ptp", "console")


class Section(BaseModel):
    """A table of the config file: unknown keys and loose types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, validate_default=True)


def _address(text: str) -> str:
    return str(ipaddress.ip_address(text))


def _network(text: str) -> str:
    return str(ipaddress.ip_network(text, strict=True))


def _syslog_target(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("udp", "tcp", "tls"):
        raise ValueError("scheme must be udp://, tcp:// or tls://")
    if not parts.hostname:
        raise ValueError("a host is required, as in udp://192.0.2.10:514")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("port must be 1..65535") from exc
    if port == 0 or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("expected scheme://host[:port] with a port 1..65535 and nothing after")
    return text


def _link_name(text: str) -> str:
    if text and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", text):
        raise ValueError(
            "a link is a plain name (letters, digits, . _ -) made inside [device] link_dir"
        )
    return text


def _link_dir(text: str) -> str:
    if text and (not text.startswith("/") or ".." in PurePosixPath(text).parts):
        raise ValueError("an absolute path without .. is required")
    return text


Port = Annotated[int, Field(ge=1, le=65535)]
LinkName = Annotated[str, AfterValidator(_link_name)]
LinkDir = Annotated[str, AfterValidator(_link_dir)]
Address = Annotated[str, AfterValidator(_address)]
Network = Annotated[str, AfterValidator(_network)]
SyslogTarget = Annotated[str, AfterValidator(_syslog_target)]

ANY_ADDRESS = ["0.0.0.0", "::"]


class ServiceSection(Section):
    """Keys every [services.<name>] table has; each service sets its own defaults."""

    enabled: bool = Field(False, description="Run the service.")
    port: Port = Field(1, description="Port the service listens on.")
    bind: list[Address] = Field(
        default_factory=lambda: list(ANY_ADDRESS),
        description="Local addresses to listen on; 0.0.0.0 and :: mean every address.",
    )
    allow: list[Network] = Field(
        default_factory=list,
        description="Networks allowed to use the service (CIDR); empty allows any host.",
    )


class NtpRule(Section):
    """One access rule; rules are tried in order and the first whose network matches wins."""

    network: Network = Field(description="Clients this rule is for (CIDR, IPv4 or IPv6).")
    action: Literal["allow", "deny"] = Field("allow", description="Answer them, or not at all.")
    require_auth: bool = Field(
        False, description="Requests without a valid MAC from a trusted key get no time."
    )
    query: bool = Field(False, description="Answer mode 6 read-only queries (ntpq -c rv).")
    kod: bool = Field(True, description="Over the rate limit, send a KoD RATE instead of nothing.")
    ratelimit: bool = Field(True, description="Apply the per-client rate limit.")


class NtpRateLimit(Section):
    interval: float = Field(
        1.0, ge=0.001, le=3600, description="Average seconds between answered requests per client."
    )
    burst: int = Field(16, ge=1, le=10_000, description="Requests a client may send at once.")
    leak: int = Field(
        2, ge=0, le=16, description="Over the limit, 1 in 2**leak still answered (0: none)."
    )
    clients: int = Field(
        100_000, ge=16, le=10_000_000, description="Clients remembered (least recent forgotten)."
    )


class NtpSection(ServiceSection):
    enabled: bool = Field(True, description="Run the NTP server. NTP is the appliance's job.")
    port: Port = Field(123, description="UDP port of the NTP server.")
    keys_file: str = Field(
        "", description="Keys in ntpd/ntpsec format; empty uses ntp.keys in the data directory."
    )
    trusted_keys: list[Annotated[int, Field(ge=1, le=65535)]] = Field(
        default_factory=list, description="Key ids accepted; empty trusts every key in the file."
    )
    auth_failure: Literal["crypto-nak", "drop"] = Field(
        "crypto-nak", description="Answer to a bad MAC or unknown key: a crypto-NAK or nothing."
    )
    rules: list[NtpRule] = Field(
        default_factory=list,
        description="Ordered access rules ([[services.ntp.rules]]); no match: allow, rate-limited.",
    )
    ratelimit: NtpRateLimit = Field(
        default_factory=NtpRateLimit, description="The per-client rate limit."
    )
    workers: int = Field(
        0, ge=0, le=64, description="Processes sharing the port (SO_REUSEPORT); 0: one per core."
    )


class DaytimeSection(ServiceSection):
    enabled: bool = Field(False, description="Run the daytime service (RFC 867, TCP and UDP).")
    port: Port = Field(13, description="TCP and UDP port of the daytime service.")


class TimeSection(ServiceSection):
    enabled: bool = Field(False, description="Run the time service (RFC 868, TCP and UDP).")
    port: Port = Field(37, description="TCP and UDP port of the time service.")


class SshSection(ServiceSection):
    enabled: bool = Field(True, description="Run the SSH administration service.")
    port: Port = Field(22, description="TCP port of the SSH service.")


class TelnetSection(ServiceSection):
    enabled: bool = Field(False, description="Run the telnet administration service (cleartext).")
    port: Port = Field(23, description="TCP port of the telnet service.")


class SnmpSection(ServiceSection):
    enabled: bool = Field(False, description="Run the SNMP agent.")
    port: Port = Field(161, description="UDP port of the SNMP agent.")


class HttpsSection(ServiceSection):
    enabled: bool = Field(True, description="Run the HTTPS status and administration service.")
    port: Port = Field(443, description="TCP port of the HTTPS service.")


class PtpSection(ServiceSection):
    enabled: bool = Field(False, description="Run the PTP grandmaster.")
    port: Port = Field(319, description="UDP event port of PTP; the general port is this + 1.")


class ConsoleSection(ServiceSection):
    enabled: bool = Field(True, description="Offer the login prompt on the RS-232 console.")
    backend: Literal["sim", "serial"] = Field(
        "sim", description="A simulated port (a pty) or a real serial port."
    )
    url: str = Field(
        "/dev/ttyS0", min_length=1, description="pyserial URL of the real port (serial backend)."
    )
    baud: int = Field(9600, ge=1200, le=921600, description="Line speed in bit/s.")
    link: LinkName = Field(
        "console",
        description="Sim backend: name of a symlink to the console's pty, made in [device] "
        "link_dir (picocom -b 9600 DATA_DIR/links/console); empty for none.",
    )
    port: Port = Field(
        1, description="Unused by the serial console; kept so every service table has it."
    )
    bind: list[Address] = Field(default_factory=list, description="Unused by the serial console.")
    allow: list[Network] = Field(default_factory=list, description="Unused by the serial console.")


class Services(Section):
    """One table per service; the names are fixed, so configs stay valid as services land."""

    ntp: NtpSection = Field(default_factory=NtpSection, description="NTP server.")
    daytime: DaytimeSection = Field(default_factory=DaytimeSection, description="RFC 867.")
    time: TimeSection = Field(default_factory=TimeSection, description="RFC 868.")
    ssh: SshSection = Field(default_factory=SshSection, description="SSH administration.")
    telnet: TelnetSection = Field(default_factory=TelnetSection, description="Telnet.")
    snmp: SnmpSection = Field(default_factory=SnmpSection, description="SNMP agent.")
    https: HttpsSection = Field(default_factory=HttpsSection, description="HTTPS UI.")
    ptp: PtpSection = Field(default_factory=PtpSection, description="PTP grandmaster.")
    console: ConsoleSection = Field(default_factory=ConsoleSection, description="Console.")


class SimGps(Section):
    scenario: GpsScenario = Field("locked", description="Scenario the receiver starts in.")
    link: LinkName = Field(
        "gps0",
        description="Name of a symlink to the receiver's pty, made in [device] link_dir, for "
        "gpsd or a terminal (gpsd -N -n -b DATA_DIR/links/gps0); empty for none.",
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
        5, ge=1, le=100, description="Failed logins within the window that lock source and account."
    )
    lockout_window_s: int = Field(
        300, ge=10, le=86400, description="The window failed logins are counted in, seconds."
    )
    lockout_s: int = Field(
        900,
        ge=10,
        le=86400,
        description="How long a locked source address or account stays locked.",
    )
    idle_timeout_s: int = Field(
        600, ge=30, le=86400, description="Console, SSH and telnet sessions idle this long end."
    )


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
