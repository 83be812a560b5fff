"""A bad config names the file, the key, the bad value and what is allowed."""

from pathlib import Path

import pytest

from firmware.base.config import SERVICE_NAMES, ConfigError, load_config, parse_config

ALL = SERVICE_NAMES

BAD = [
    (
        "[services.ntp]\nport = 70000\n",
        "services.ntp.port: 70000 is out of range 1..65535",
    ),
    (
        "[services.ssh]\nprot = 22\n",
        "services.ssh.prot: unknown key (allowed here: enabled, port, bind, allow)",
    ),
    (
        '[services.ntp]\nenabled = "yes"\n',
        "services.ntp.enabled: 'yes': input should be a valid boolean",
    ),
    ('[services.ntp]\nport = "123"\n', "services.ntp.port: '123': input should be a valid integer"),
    ('[gps]\nbackend = "usb"\n', "gps.backend: 'usb': input should be 'sim', 'serial' or 'gpsd'"),
    (
        '[services.ssh]\nallow = ["10.0.0.1/8"]\n',
        "services.ssh.allow.0: '10.0.0.1/8': 10.0.0.1/8 has host bits set",
    ),
    ('[services.ssh]\nbind = ["1.2.3"]\n', "services.ssh.bind.0: '1.2.3': '1.2.3' does not appear"),
    (
        '[syslog]\ntargets = ["http://x:514"]\n',
        "syslog.targets.0: 'http://x:514': scheme must be udp://, tcp:// or tls://",
    ),
    (
        '[syslog]\ntargets = ["udp://x:99999"]\n',
        "syslog.targets.0: 'udp://x:99999': port must be 1..65535",
    ),
    ("[events]\nkeep = 0\n", "events.keep: 0 is out of range 1..100"),
    (
        "[colour]\nx = 1\n",
        "colour: unknown key (allowed here: device, services, gps, syslog, events, ",
    ),
    (
        "[services.gopher]\nenabled = true\n",
        "services.gopher: unknown key (allowed here: ntp, daytime, time",
    ),
    ("[services.ntp\nport = 1\n", "not valid TOML"),
    (
        "[services.ptp]\nenabled = true\n",
        "services.ptp.interface: '': required when PTP is enabled: PTP is multicast on one link",
    ),
    ('[services.ptp]\ninterface = "eth0/1"\n', "services.ptp.interface: 'eth0/1': an interface"),
    ("[services.ptp]\nport = 65535\n", "services.ptp.port: 65535 is out of range 1..65534"),
    ("[services.ptp]\ndomain = 128\n", "services.ptp.domain: 128 is out of range 0..127"),
    (
        '[services.ptp]\ntimestamping = "fast"\n',
        "services.ptp.timestamping: 'fast': input should be 'auto', 'software' or 'hardware'",
    ),
    ("[services.ptp]\npriority1 = 256\n", "services.ptp.priority1: 256 is out of range 0..255"),
    (
        "[services.ptp]\nlog_sync_interval = -4\n",
        "services.ptp.log_sync_interval: -4 is out of range -1..1",
    ),
    (
        "[services.ptp]\nlog_announce_interval = 5\n",
        "services.ptp.log_announce_interval: 5 is out of range 0..4",
    ),
    (
        "[services.ptp]\nlog_min_delay_req_interval = -1\n",
        "services.ptp.log_min_delay_req_interval: -1 is out of range 0..5",
    ),
    (
        "[services.ptp]\nannounce_receipt_timeout = 1\n",
        "services.ptp.announce_receipt_timeout: 1 is out of range 2..10",
    ),
    (
        '[services.ptp]\ntransport = "l2"\n',
        "services.ptp.transport: 'l2': only udpv4 is offered (IEEE 802.3 and UDP/IPv6 are not)",
    ),
    (
        "[services.ptp]\nunicast = true\n",
        "services.ptp.unicast: true: unicast negotiation is not offered: PTP here is multicast",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_bad_config_names_file_key_and_value(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, ALL)
    assert len(caught.value.problems) == 1
    line = caught.value.problems[0]
    assert line.startswith(f"{path}: ")
    assert expected in line


def test_every_problem_gets_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[services.ntp]\nport = 0\nbogus = 1\n[events]\nkeep = 1000\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, ALL)
    assert len(caught.value.problems) == 3


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "none.toml", ALL)
    assert caught.value.problems == [f"{tmp_path / 'none.toml'}: no such file"]


def test_missing_file_allowed_means_secure_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "none.toml", ALL, missing_ok=True)
    enabled = {name for name in ALL if getattr(config.services, name).enabled}
    assert enabled == {"ntp", "ssh", "https", "console"}
    assert config.services.ntp.port == 123
    assert config.services.ntp.allow == []
    assert config.gps.backend == "sim"
    assert config.syslog.targets == []


def test_service_not_in_build_defaults_to_off() -> None:
    config = parse_config({}, "config.toml", available=["daytime"])
    assert not config.services.ntp.enabled
    assert not config.services.ssh.enabled


def test_enabling_a_service_not_in_build_is_an_error() -> None:
    data = {"services": {"snmp": {"enabled": True}, "ntp": {"port": 1123}}}
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "config.toml", available=["daytime"])
    assert caught.value.problems == [
        "config.toml: services.snmp.enabled: true: snmp is not available in this build "
        "(available: daytime)"
    ]


def test_ptp_defaults_are_the_default_profile() -> None:
    data = {"services": {"ptp": {"enabled": True, "interface": "eth0"}}}
    ptp = parse_config(data, "config.toml", ALL).services.ptp
    assert (ptp.port, ptp.interface, ptp.domain, ptp.priority1, ptp.priority2) == (
        319,
        "eth0",
        0,
        128,
        128,
    )
    assert (ptp.log_announce_interval, ptp.log_sync_interval) == (1, 0)
    assert (ptp.log_min_delay_req_interval, ptp.announce_receipt_timeout) == (0, 3)


def test_values_are_normalised() -> None:
    data = {"services": {"ntp": {"bind": ["::0001"], "allow": ["2001:DB8::/32"]}}}
    config = parse_config(data, "config.toml", ALL)
    assert config.services.ntp.bind == ["::1"]
    assert config.services.ntp.allow == ["2001:db8::/32"]


def test_syslog_targets_accept_the_three_transports() -> None:
    targets = ["udp://192.0.2.1:514", "tcp://[2001:db8::1]:514", "tls://logs.example:6514"]
    config = parse_config({"syslog": {"targets": targets}}, "config.toml", ALL)
    assert config.syslog.targets == targets


def _one_line(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, ALL)
    assert len(caught.value.problems) == 1 and "\n" not in caught.value.problems[0]
    return caught.value.problems[0]


def test_a_device_is_refused_without_reading_it() -> None:
    assert _one_line(Path("/dev/zero")) == "/dev/zero: not a regular file"


def test_a_directory_is_refused(tmp_path: Path) -> None:
    assert _one_line(tmp_path) == f"{tmp_path}: not a regular file"


def test_a_file_over_1_mib_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_text("# padding\n" * 110_000)
    assert _one_line(path) == f"{path}: larger than 1048576 bytes"


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 3000 + "]" * 3000 + "\n",
        "x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
        "[" + ".".join(["a"] * 3000) + "]\n",
    ],
    ids=["arrays", "inline-tables", "dotted-table"],
)
def test_nesting_deeper_than_the_schema_is_one_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(text)
    assert "nested deeper than the config allows" in _one_line(path)


def test_the_deepest_schema_nesting_is_accepted() -> None:
    data = {"services": {"ntp": {"rules": [{"network": "10.0.0.0/8"}]}}}
    assert parse_config(data, "x", ALL).services.ntp.rules[0].network == "10.0.0.0/8"
