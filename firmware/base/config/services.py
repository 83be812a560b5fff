"""The [services.*] tables of the config: one per network service, each with its defaults."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from firmware.base.config.fields import ANY_ADDRESS, Address, LinkName, Network, Port, Section


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
    query: bool = Field(
        False,
        description="Answer mode 6 read-only queries (ntpq -c rv); the answer is ~24x the "
        "query: monitoring networks only, with require_auth where possible.",
    )
    kod: bool = Field(
        True, description="Over the rate limit, a KoD RATE (one per interval) instead of nothing."
    )
    ratelimit: bool = Field(True, description="Apply the per-client rate limit.")


class NtpRateLimit(Section):
    interval: float = Field(
        1.0,
        ge=0.001,
        le=3600,
        description="Average seconds between answered requests per client; also the least "
        "time between two kisses (KoD, crypto-NAK) to one client.",
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
    redirect_port: int = Field(
        0, ge=0, le=65535, description="Plain-HTTP port that only redirects to HTTPS; 0: none."
    )
    metrics_allow: list[Network] = Field(
        default_factory=list,
        description="Networks that may scrape /metrics without logging in (CIDR); empty: none.",
    )


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
