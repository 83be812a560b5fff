"""`ptp`: the port state and why, what it announces, the slaves heard, the counters."""

from tests.firmware.admin.conftest import Bench

PASSIVE = {
    "state": "running", "port_state": "PASSIVE",
    "state_reason": "a better master is heard on the domain",
    "better_master": "001122.fffe.334455-1", "interface": "eth1", "domain": 0,
    "clock_identity": "02abcd.fffe.ef0001-1",
    "timestamping": "software (the interface offers no hardware timestamping)", "priority1": 128,
    "priority2": 128, "clock_class": 6, "clock_accuracy": 0x21,
    "offset_scaled_log_variance": 0x4E5D, "utc_offset": 37, "time_source": 0x20,
    "flags": ["utc_offset_valid", "ptp_timescale", "time_traceable", "frequency_traceable"],
    "slaves": 1, "slaves_heard": [["10.99.0.2", "02aaaa.fffe.000002-1", 12, 1_800_000_000 * 10**9]],
    "announce": 5, "sync": 40, "delay_req": 12, "denied": 2,
}  # fmt: skip


def test_ptp_status_names_the_state_and_why(bench: Bench) -> None:
    bench.status["ptp"] = PASSIVE
    shown = bench.run("ptp").splitlines()
    assert shown[0] == (
        "port state                  PASSIVE: a better master is heard on the domain "
        "(001122.fffe.334455-1)"
    )
    assert "time source                 0x20 (GPS)" in shown
    assert "timestamping                software (the interface offers no hardware " \
        "timestamping)" in shown  # fmt: skip
    assert "flags                       utc_offset_valid, ptp_timescale, time_traceable, " \
        "frequency_traceable" in shown  # fmt: skip
    assert shown[-1] == "slaves heard                1"


def test_ptp_slaves_and_counters(bench: Bench) -> None:
    bench.status["ptp"] = PASSIVE
    slaves = bench.run("ptp slaves").splitlines()
    assert slaves[1].split()[:3] == ["10.99.0.2", "02aaaa.fffe.000002-1", "12"]
    counters = bench.run("ptp counters").splitlines()
    assert counters == [
        "announce               5", "delay_req              12", "denied                 2",
        "sync                   40",
    ]  # fmt: skip


def test_ptp_when_it_is_not_running(bench: Bench) -> None:
    bench.status.pop("ptp", None)
    assert bench.run("ptp").startswith("PTP is not running")
