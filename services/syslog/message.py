"""RFC 5424 syslog messages and RFC 6587 octet-counted framing; no I/O here."""

from __future__ import annotations

from firmware.base.events import Event

FACILITY_CODES = {
    "kern": 0, "user": 1, "daemon": 3, "auth": 4, "authpriv": 10,
    "local0": 16, "local1": 17, "local2": 18, "local3": 19,
    "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}  # fmt: skip
SECURITY_FACILITY = "authpriv"
# Private enterprise number 32473 is reserved for documentation (RFC 5612).
SD_ID = "timeserver@32473"
UDP_MAX = 2048


def encode_message(
    event: Event, hostname: str, facility: str, procid: int, app: str = "timeserver"
) -> bytes:
    """One RFC 5424 message; security events go to authpriv whatever the facility."""
    code = FACILITY_CODES[SECURITY_FACILITY if event.security else facility]
    header = (
        f"<{code * 8 + int(event.severity)}>1 {event.timestamp()} {_token(hostname, 255)} "
        f"{_token(app, 48)} {procid} {_token(event.kind, 32)} {_structured(event)}"
    )
    return f"{header} {event.message}".encode()


def frame_octet_counted(message: bytes) -> bytes:
    """RFC 6587 octet counting, which RFC 5425 (TLS) requires and TCP collectors accept."""
    return b"%d %s" % (len(message), message)


def truncate_datagram(message: bytes) -> bytes:
    """RFC 5426: collectors must take 480 bytes and should take 2048; cut past that."""
    return message[:UDP_MAX]


def _token(text: str, limit: int) -> str:
    cleaned = "".join(ch for ch in text if 33 <= ord(ch) <= 126)
    return cleaned[:limit] or "-"


def _structured(event: Event) -> str:
    if not event.fields:
        return "-"
    params = " ".join(
        f'{_param_name(name)}="{_escape(value)}"' for name, value in event.fields.items()
    )
    return f"[{SD_ID} {params}]"


def _param_name(name: str) -> str:
    cleaned = "".join(ch for ch in name if 33 <= ord(ch) <= 126 and ch not in '= ]"')
    return cleaned[:32] or "field"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")
