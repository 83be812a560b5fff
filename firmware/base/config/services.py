"""The [services.*] tables of the config: one per network service, each with its defaults."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from firmware.base.config.fields import (
    ANY_ADDRESS,
    Address,
    InterfaceName,
    LinkName,
    Network,
    Port,
    Section,
)


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


# What goes into snmpd's config file: printable ASCII without quotes or backslashes, so a
# value can never end its line or its quoted string early.
_PLAIN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]*")


def _snmp_text(low: int, high: int, spaces: bool = False) -> AfterValidator:
    def check(text: str) -> str:
        if not low <= len(text) <= high:
            raise ValueError(f"must be {low} to {high} characters long")
        if not _PLAIN.fullmatch(text.replace(" ", "") if spaces else text):
            raise ValueError(
                "only printable ASCII characters are allowed, without quotes or backslashes"
                + ("" if spaces else " or spaces")
            )
        return text

    return AfterValidator(check)


def _snmp_name(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,32}", text):
        raise ValueError("a name is 1 to 32 letters, digits, '.', '_' or '-'")
    return text


def _community(text: str) -> str:
    if text and not re.fullmatch(r"[A-Za-z0-9._~+=@%-]{8,32}", text):
        raise ValueError("a community is 8 to 32 letters, digits or ._~+=@%-")
    return text


SnmpName = Annotated[str, AfterValidator(_snmp_name)]
SnmpPassphrase = Annotated[str, _snmp_text(8, 64)]
SnmpCommunity = Annotated[str, AfterValidator(_community)]
SnmpText = Annotated[str, _snmp_text(0, 255, spaces=True)]


class SnmpUser(Section):
    """One SNMPv3 user (USM): authenticated and encrypted, read-only."""

    name: SnmpName = Field(description="User name (letters, digits, . _ -; up to 32).")
    auth: Literal["SHA-256", "SHA-512", "SHA"] = Field(
        "SHA-256", description="Authentication protocol."
    )
    auth_passphrase: SnmpPassphrase = Field(
        json_schema_extra={"secret": True},
        description="Authentication passphrase: 8 to 64 printable characters, no quotes, no \\.",
    )
    priv: Literal["AES"] = Field("AES", description="Privacy (encryption) protocol: AES-128.")
    priv_passphrase: SnmpPassphrase = Field(
        json_schema_extra={"secret": True},
        description="Privacy passphrase: 8 to 64 printable characters, no quotes, no \\.",
    )


class SnmpTrap(Section):
    """One notification target."""

    address: Address = Field(description="Address of the receiver (the NMS).")
    port: Port = Field(162, description="UDP port of the receiver.")
    version: Literal["v3", "v2c"] = Field("v3", description="SNMPv3 (as `user`) or v2c.")
    inform: bool = Field(
        True, description="v3: send informs (acknowledged, resent) rather than traps."
    )
    user: str = Field("", description="v3: the name of one of [[services.snmp.users]].")
    community: SnmpCommunity = Field(
        "", json_schema_extra={"secret": True}, description="v2c: the receiver's community."
    )


class SnmpSection(ServiceSection):
    """SNMP: net-snmp's snmpd answers, read-only, with the users configured here."""

    enabled: bool = Field(False, description="Run the SNMP agent (net-snmp's snmpd).")
    port: Port = Field(161, description="UDP port of the SNMP agent.")
    users: list[SnmpUser] = Field(
        default_factory=list,
        description="SNMPv3 users ([[services.snmp.users]]), read-only, authPriv only.",
    )
    v2c_community: SnmpCommunity = Field(
        "",
        json_schema_extra={"secret": True},
        description="Read-only SNMPv2c community; empty turns v2c off. SNMPv1 is never answered.",
    )
    traps: list[SnmpTrap] = Field(
        default_factory=list, description="Where notifications go ([[services.snmp.traps]])."
    )
    sys_contact: SnmpText = Field("", description="sysContact: who looks after the appliance.")
    sys_location: SnmpText = Field("", description="sysLocation: where the appliance is.")

    @model_validator(mode="after")
    def _known_users(self) -> SnmpSection:
        names = [user.name for user in self.users]
        if len(set(names)) != len(names):
            raise ValueError("users: each user name may appear once")
        for trap in self.traps:
            if trap.version == "v3" and trap.user not in names:
                raise ValueError(f"traps: {trap.address}: user {trap.user!r} is not in users")
            if trap.version == "v2c" and not trap.community:
                raise ValueError(f"traps: {trap.address}: a v2c target needs a community")
        return self


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
    """IEEE 1588-2019 default delay request-response profile, multicast over UDP/IPv4; the
    ranges are those of the profile (Annex I.3)."""

    enabled: bool = Field(False, description="Run the PTP grandmaster.")
    port: Annotated[int, Field(ge=1, le=65534)] = Field(
        319, description="UDP event port of PTP; the general port is this + 1."
    )
    interface: InterfaceName = Field(
        "", description="Network interface PTP runs on (multicast on one link); required."
    )
    domain: int = Field(0, ge=0, le=127, description="PTP domain number.")
    priority1: int = Field(128, ge=0, le=255, description="priority1; lower wins the BMCA.")
    priority2: int = Field(128, ge=0, le=255, description="priority2; lower wins the BMCA.")
    log_announce_interval: int = Field(1, ge=0, le=4, description="Announce every 2**n seconds.")
    log_sync_interval: int = Field(0, ge=-1, le=1, description="Sync every 2**n seconds.")
    log_min_delay_req_interval: int = Field(
        0, ge=0, le=5, description="Slaves send Delay_Req at most every 2**n seconds."
    )
    announce_receipt_timeout: int = Field(
        3, ge=2, le=10, description="Announce intervals to listen before mastering."
    )
    timestamping: Literal["auto", "software", "hardware"] = Field(
        "auto",
        description="Kernel timestamps: hardware when the interface offers it (ethtool -T), "
        "else software (auto); software only; or hardware only (PTP refuses to start without).",
    )
    transport: str = Field("udpv4", description="Only udpv4 (ports 319/320, group 224.0.1.129).")
    unicast: bool = Field(False, description="Unicast negotiation: not offered (false only).")

    @field_validator("interface")
    @classmethod
    def _interface_when_enabled(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("enabled") and not value:
            raise ValueError("required when PTP is enabled: PTP is multicast on one link")
        return value

    @field_validator("transport")
    @classmethod
    def _only_udpv4(cls, value: str) -> str:
        if value != "udpv4":
            raise ValueError("only udpv4 is offered (IEEE 802.3 and UDP/IPv6 are not)")
        return value

    @field_validator("unicast")
    @classmethod
    def _no_unicast(cls, value: bool) -> bool:
        if value:
            raise ValueError("unicast negotiation is not offered: PTP here is multicast")
        return value


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
