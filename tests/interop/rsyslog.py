"""A real rsyslogd on loopback that files what arrives over UDP and TCP separately."""

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.tools import free_port, require

CONFIG = """
global(workDirectory="{dir}")
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="{udp}" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="{tcp}" ruleset="tcp")
ruleset(name="udp") {{
  action(type="omfile" file="{dir}/udp.log" template="RSYSLOG_SyslogProtocol23Format")
}}
ruleset(name="tcp") {{
  action(type="omfile" file="{dir}/tcp.log" template="RSYSLOG_SyslogProtocol23Format")
}}
"""


@dataclass
class Rsyslog:
    directory: Path
    udp_port: int
    tcp_port: int
    process: subprocess.Popen[bytes]

    def lines(self, transport: str) -> list[str]:
        path = self.directory / f"{transport}.log"
        return path.read_text(errors="replace").splitlines() if path.exists() else []

    def wait_for(self, transport: str, text: str, seconds: float = 10.0) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for line in self.lines(transport):
                if text in line:
                    return line
            time.sleep(0.05)
        raise AssertionError(
            f"{text!r} never reached rsyslog over {transport}: {self.lines(transport)}"
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start_rsyslog(directory: Path) -> Rsyslog:
    rsyslogd = require("rsyslogd")
    directory.mkdir(parents=True, exist_ok=True)
    udp, tcp = free_port(), free_port()
    conf = directory / "rsyslog.conf"
    conf.write_text(CONFIG.format(dir=directory, udp=udp, tcp=tcp))
    process = subprocess.Popen(
        [rsyslogd, "-n", "-f", str(conf), "-i", str(directory / "pid")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Rsyslog(directory, udp, tcp, process)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        probe = subprocess.run(["ss", "-Hltn", f"sport = :{tcp}"], capture_output=True, text=True)
        if str(tcp) in probe.stdout:
            return server
        if process.poll() is not None:
            raise AssertionError(f"rsyslogd exited with {process.returncode}")
        time.sleep(0.05)
    server.stop()
    raise AssertionError("rsyslogd did not start listening")
