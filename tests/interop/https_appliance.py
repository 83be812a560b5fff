"""The appliance booted with HTTPS (and its redirect port) on free loopback ports, for the
tests that talk to it with curl, openssl and a real browser."""

from dataclasses import dataclass
from pathlib import Path

from tests.scenarios.appliance import Booted, write_config
from tests.tools import free_port

ADMIN_PASSWORD = "correct horse battery"


@dataclass
class Web:
    booted: Booted
    port: int
    redirect_port: int


def https_section(port: int, redirect_port: int) -> str:
    """[services.https] on loopback: the config text for an appliance the tests log into."""
    return (
        f'[services.https]\nport = {port}\nbind = ["127.0.0.1"]\nredirect_port = {redirect_port}\n'
    )


def boot_web(directory: Path, extra: str = "") -> Web:
    port, redirect = free_port(), free_port()
    config = write_config(directory / "config.toml", https_section(port, redirect) + extra)
    booted = Booted(directory / "data", config, password=ADMIN_PASSWORD)
    booted.wait_event("appliance.ready")
    return Web(booted, port, redirect)
