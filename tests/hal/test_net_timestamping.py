"""ETHTOOL_GET_TS_INFO answers decoded from the kernel's bytes, and the timestamping mode
chosen for each: rows of (what the interface says, what PTP takes and why)."""

import errno

import pytest

from hal.net_timestamping import (
    Capability,
    RxFilter,
    decide,
    decode_ts_info,
    read_ts_info,
    refused,
)

ZERO12 = "00" * 12
# struct ethtool_ts_info, little-endian: cmd, so_timestamping, phc_index, tx_types,
# tx_reserved[3], rx_filters, rx_reserved[3].
VETH = "410000001a000000ffffffff00000000" + ZERO12 + "00000000" + ZERO12
# Intel i210 (igb): hardware stamps on /dev/ptp0, tx off/on, rx filters none/all.
I210 = "410000005f0000000000000003000000" + ZERO12 + "03000000" + ZERO12
# Intel 82574 (e1000e) on /dev/ptp2: tx off/on, the PTP v2 filters (bits 0, 3..14).
E1000E = "410000005f0000000200000003000000" + ZERO12 + "f97f0000" + ZERO12
# Hardware stamps but transmit only one-step (no ON): no two-step Sync timestamps.
ONESTEP = "410000005f0000000100000005000000" + ZERO12 + "03000000" + ZERO12
# Hardware receive and transmit but no PHC (phc_index -1).
NO_PHC = "410000005f000000ffffffff03000000" + ZERO12 + "03000000" + ZERO12
# A PHC with tx ON but only PTP v1 and NTP receive filters (bits 0, 3, 15).
NO_V2_FILTER = "410000005f0000000000000003000000" + ZERO12 + "09800000" + ZERO12
NOT_OFFERED = "the interface offers no hardware timestamping"


def test_veth_decodes_as_ethtool_prints_it() -> None:
    info = decode_ts_info(bytes.fromhex(VETH))
    assert info.names() == ["software-transmit", "software-receive", "software-system-clock"]
    assert (info.phc_index, info.tx_types, info.rx_filters) == (-1, 0, 0)


def test_i210_decodes_with_its_hardware_clock() -> None:
    info = decode_ts_info(bytes.fromhex(I210))
    assert info.capabilities == Capability(0x5F) and info.phc_index == 0
    assert "hardware-raw-clock" in info.names() and "hardware-transmit" in info.names()


@pytest.mark.parametrize(
    ("requested", "answer", "text"),
    [
        ("auto", VETH, f"software ({NOT_OFFERED})"),
        ("hardware", VETH, f"software ({NOT_OFFERED})"),
        ("auto", I210, "hardware (phc /dev/ptp0)"),
        ("hardware", E1000E, "hardware (phc /dev/ptp2)"),
        ("software", I210, "software (software chosen in the config)"),
        ("auto", NO_PHC, f"software ({NOT_OFFERED})"),
        ("auto", ONESTEP, "software (the interface cannot stamp every transmitted message)"),
        ("auto", NO_V2_FILTER, "software (the interface has no receive filter for PTP over UDP)"),
    ],
)
def test_the_mode_for_each_interface(requested: str, answer: str, text: str) -> None:
    assert decide(requested, decode_ts_info(bytes.fromhex(answer))).text() == text


def test_the_receive_filter_prefers_ptp_v2_over_udp() -> None:
    assert (
        decide("auto", decode_ts_info(bytes.fromhex(E1000E))).rx_filter is RxFilter.PTP_V2_L4_EVENT
    )
    assert decide("auto", decode_ts_info(bytes.fromhex(I210))).rx_filter is RxFilter.ALL


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.EPERM, "hardware refused: not permitted (CAP_NET_ADMIN is needed)"),
        (errno.ERANGE, "hardware refused: the driver cannot stamp PTP event messages"),
        (errno.EOPNOTSUPP, "hardware refused: the driver does not support it"),
        (errno.EBUSY, "hardware refused: Device or resource busy"),
    ],
)
def test_a_refusal_falls_back_to_software_saying_why(code: int, reason: str) -> None:
    decision = refused(OSError(code, "from SIOCSHWTSTAMP"))
    assert not decision.hardware and decision.reason == reason


def test_a_short_answer_is_an_error() -> None:
    with pytest.raises(ValueError, match="44 bytes, not 40"):
        decode_ts_info(bytes.fromhex(VETH)[:40])


def test_loopback_is_asked_through_the_ioctl() -> None:
    info = read_ts_info("lo")
    assert Capability.TX_SOFTWARE in info.capabilities and info.phc_index == -1
    assert decide("auto", info).reason == NOT_OFFERED


def test_an_unknown_interface_is_an_os_error() -> None:
    with pytest.raises(OSError):
        read_ts_info("nosuch0")
    with pytest.raises(OSError, match="not valid"):
        read_ts_info("x" * 16)
