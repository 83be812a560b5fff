"""A real rsyslogd on loopback that files what arrives over UDP and TCP separately."""

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.pki import Pki
from tests.tools import free_port, missing, require

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

TLS_CONFIG = """
global(workDirectory="{dir}" DefaultNetstreamDriver="ossl"
       DefaultNetstreamDriverCAFile="{pki.ca_file}"
       DefaultNetstreamDriverCertFile="{pki.cert_file}"
       DefaultNetstreamDriverKeyFile="{pki.key_file}")
module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
input(type="imtcp" address="127.0.0.1" port="{tcp}" ruleset="tls")
ruleset(name="tls") {{
  action(type="omfile" file="{dir}/tls.log" template="RSYSLOG_SyslogProtocol23Format")
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
    """Plain collector: UDP into udp.log, TCP into tcp.log."""
    directory.mkdir(parents=True, exist_ok=True)
    udp, tcp = free_port(), free_port()
    return _start(directory, CONFIG.format(dir=directory, udp=udp, tcp=tcp), udp, tcp)


def start_rsyslog_tls(directory: Path, pki: Pki) -> Rsyslog:
    """RFC 5425 collector on `tcp_port` with the test PKI's certificate, into tls.log."""
    if not list(Path("/usr/lib").glob("*/rsyslog/lmnsd_ossl.so")):
        missing("rsyslog's TLS driver (package rsyslog-openssl)")
    directory.mkdir(parents=True, exist_ok=True)
    tcp = free_port()
    return _start(directory, TLS_CONFIG.format(dir=directory, pki=pki, tcp=tcp), 0, tcp)


def _start(directory: Path, config: str, udp: int, tcp: int) -> Rsyslog:
    rsyslogd = require("rsyslogd")
    conf = directory / "rsyslog.conf"
    conf.write_text(config)
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
