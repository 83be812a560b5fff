"""Which timestamps the grandmaster takes, from the interface's answer to the driver's
refusal, and the stamps read from SCM_TIMESTAMPING in each mode."""

import errno
import socket
import struct

import pytest

from hal.net_timestamping import RxFilter, decode_ts_info
from hal.phc import Bracket, phc_offset, to_system
from services.ptp.sockets import SO_TIMESTAMPING, SO_TIMESTAMPNS, receive_stamp
from services.ptp.timestamping import TimestampingError, open_timestamps
from tests.hal.test_net_timestamping import I210, VETH


class FakePhc:
    """A PHC 37 s ahead of the system clock, read between two realtime reads 100 ns apart."""

    def __init__(self, index: int) -> None:
        self.path, self.closed = f"/dev/ptp{index}", False

    def system_ns(self, phc_ns: int) -> int:
        return to_system(phc_ns, phc_offset([Bracket(1_000, 1_050 + 37 * 10**9, 1_100)]))

    def close(self) -> None:
        self.closed = True


def probe(answer: str):  # type: ignore[no-untyped-def]
    return lambda interface: decode_ts_info(bytes.fromhex(answer))


def enabled_with(calls: list[tuple[str, RxFilter]]):  # type: ignore[no-untyped-def]
    return lambda interface, rx_filter: calls.append((interface, rx_filter))


def refuse(code: int):  # type: ignore[no-untyped-def]
    def enable(interface: str, rx_filter: RxFilter) -> None:
        raise OSError(code, "SIOCSHWTSTAMP")

    return enable


def test_hardware_is_switched_on_and_stamps_move_off_the_phc() -> None:
    calls: list[tuple[str, RxFilter]] = []
    stamps = open_timestamps("auto", "eth1", probe(I210), enabled_with(calls), FakePhc)
    assert stamps.hardware and stamps.decision.text() == "hardware (phc /dev/ptp0)"
    assert calls == [("eth1", RxFilter.ALL)]
    assert stamps.host_ns(1_700_000_037_000_000_500) == 1_700_000_000_000_000_500
    phc = stamps.phc
    stamps.close()
    assert phc is not None and phc.closed and not stamps.hardware  # type: ignore[attr-defined]


def test_veth_stays_software_and_nothing_is_switched() -> None:
    calls: list[tuple[str, RxFilter]] = []
    stamps = open_timestamps("auto", "veth0", probe(VETH), enabled_with(calls), FakePhc)
    assert not stamps.hardware and calls == []
    assert stamps.decision.text() == "software (the interface offers no hardware timestamping)"
    assert stamps.host_ns(123) == 123


def test_a_driver_refusal_falls_back_to_software() -> None:
    stamps = open_timestamps("auto", "eth1", probe(I210), refuse(errno.ERANGE), FakePhc)
    assert stamps.decision.text() == (
        "software (hardware refused: the driver cannot stamp PTP event messages)"
    )


def test_an_unopenable_phc_falls_back_to_software() -> None:
    def no_phc(index: int) -> FakePhc:
        raise PermissionError(errno.EACCES, "Permission denied")

    stamps = open_timestamps("auto", "eth1", probe(I210), enabled_with([]), no_phc)
    assert stamps.decision.reason == "/dev/ptp0 cannot be opened: Permission denied"


def test_an_interface_that_cannot_be_asked_is_software() -> None:
    def gone(interface: str) -> None:
        raise OSError(errno.ENODEV, "SIOCETHTOOL")

    stamps = open_timestamps("auto", "eth9", gone, enabled_with([]), FakePhc)  # type: ignore[arg-type]
    assert stamps.decision.reason == "the interface cannot be asked: No such device"


@pytest.mark.parametrize(
    ("answer", "enable", "reason"),
    [
        (VETH, enabled_with([]), "the interface offers no hardware timestamping"),
        (I210, refuse(errno.EPERM), "hardware refused: not permitted (CAP_NET_ADMIN is needed)"),
    ],
)
def test_hardware_required_refuses_to_start(answer: str, enable: object, reason: str) -> None:
    with pytest.raises(TimestampingError) as raised:
        open_timestamps("hardware", "eth1", probe(answer), enable, FakePhc)  # type: ignore[arg-type]
    assert str(raised.value) == f"no hardware timestamping on eth1: {reason}"


def test_software_in_the_config_never_asks_for_hardware() -> None:
    calls: list[tuple[str, RxFilter]] = []
    stamps = open_timestamps("software", "eth1", probe(I210), enabled_with(calls), FakePhc)
    assert stamps.decision.text() == "software (software chosen in the config)" and calls == []


SCM = struct.pack("@qqqqqq", 1_700_000_000, 111, 0, 0, 1_700_000_037, 999)


def test_the_stamp_read_in_each_mode() -> None:
    ancillary = [(socket.SOL_SOCKET, SO_TIMESTAMPING, SCM)]
    assert receive_stamp(ancillary) == 1_700_000_000_000_000_111
    assert receive_stamp(ancillary, hardware=True) == 1_700_000_037_000_000_999
    nanoseconds = [(socket.SOL_SOCKET, SO_TIMESTAMPNS, struct.pack("@qq", 5, 6))]
    assert receive_stamp(nanoseconds) == 5_000_000_006
    assert receive_stamp(nanoseconds, hardware=True) is None
    no_hardware = [(socket.SOL_SOCKET, SO_TIMESTAMPING, SCM[:32] + bytes(16))]
    assert receive_stamp(no_hardware, hardware=True) is None
