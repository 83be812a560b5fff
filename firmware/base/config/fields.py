"""What every config table is made of: the strict section base and the checked field types."""

from __future__ import annotations

import datetime
import ipaddress
import re
from pathlib import PurePosixPath
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


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


def _utc_instant(text: str) -> str:
    if not text:
        return text
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() != datetime.timedelta(0) or moment.microsecond:
        raise ValueError("a UTC time to the second is required, as in 2027-01-01T00:00:00Z")
    return text


def utc_instant_ns(text: str) -> int:
    """A checked UtcInstant in nanoseconds since the epoch; 0 for empty."""
    return int(datetime.datetime.fromisoformat(text).timestamp()) * 10**9 if text else 0


def _interface_name(text: str) -> str:
    # Linux interface names: at most 15 bytes (IFNAMSIZ), no slash, no space, not . or ..
    if text and (not re.fullmatch(r"[A-Za-z0-9_.:@-]{1,15}", text) or text in (".", "..")):
        raise ValueError("an interface name of up to 15 letters, digits, _ . : @ - is required")
    return text


def _link_dir(text: str) -> str:
    if text and (not text.startswith("/") or ".." in PurePosixPath(text).parts):
        raise ValueError("an absolute path without .. is required")
    return text


Port = Annotated[int, Field(ge=1, le=65535)]
LinkName = Annotated[str, AfterValidator(_link_name)]
LinkDir = Annotated[str, AfterValidator(_link_dir)]
InterfaceName = Annotated[str, AfterValidator(_interface_name)]
"""A network interface name (eth0, vgm), or empty."""
UtcInstant = Annotated[str, AfterValidator(_utc_instant)]
"""An instant in UTC, to the second ("2027-01-01T00:00:00Z"), or empty."""
Address = Annotated[str, AfterValidator(_address)]
Network = Annotated[str, AfterValidator(_network)]
SyslogTarget = Annotated[str, AfterValidator(_syslog_target)]

ANY_ADDRESS = ["0.0.0.0", "::"]
