"""Telnet is closed by default; enabled, it gives the same login and command line."""

import asyncio
import signal
from pathlib import Path

import telnetlib3
from telnetlib3.telopt import IAC, IP

from tests.scenarios.appliance import Booted, write_config
from tests.tools import free_port

PASSWORD = "correct horse battery"


async def expect(reader: telnetlib3.TelnetReader, text: bytes, seconds: float = 10) -> bytes:
    seen = b""
    async with asyncio.timeout(seconds):
        while text not in seen:
            chunk = await reader.read(1024)
            if not chunk:
                raise AssertionError(f"closed before {text!r}: {seen!r}")
            seen += chunk
    return seen


async def test_telnet_closed_by_default_then_working_when_enabled(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(
        tmp_path / "config.toml", f'[services.telnet]\nport = {port}\nbind = ["127.0.0.1"]\n'
    )
    booted = Booted(tmp_path / "data", config, password=PASSWORD)
    try:
        await asyncio.to_thread(booted.wait_event, "appliance.ready")
        try:
            await asyncio.open_connection("127.0.0.1", port)
            raise AssertionError("telnet answered while disabled")
        except ConnectionRefusedError:
            pass
        write_config(
            config, f'[services.telnet]\nenabled = true\nport = {port}\nbind = ["127.0.0.1"]\n'
        )
        booted.signal(signal.SIGHUP)
        await asyncio.to_thread(booted.wait_event, "config.reloaded")
        reader, writer = await telnetlib3.open_connection("127.0.0.1", port, encoding=False)
        await expect(reader, b"login: ")
        writer.write(b"admin\r")
        await expect(reader, b"Password: ")
        writer.write(PASSWORD.encode() + b"\r")
        await expect(reader, b"> ")
        writer.write(b"status\r")
        answer = await expect(reader, b"> ")
        assert b"state       " in answer and b"telnet" in answer
        writer.write(b"sta\x03")  # Ctrl-C: the line is dropped, a fresh prompt comes
        assert b"sta^C\r\nadmin@" in await expect(reader, b"> ")
        writer.send_iac(IAC + IP)  # a line-mode client's Ctrl-C
        assert b"^C\r\nadmin@" in await expect(reader, b"> ")
        writer.write(b"exit\r")
        await expect(reader, b"login: ")
        writer.close()
    finally:
        booted.stop()
    logins = [e for e in booted.events() if e["kind"] == "login.ok"]
    assert logins and logins[0]["fields"]["source"] == "127.0.0.1"  # type: ignore[index]
