"""The grandmaster port without sockets: linuxptp's captured requests in, our answers out,
with monotonic `now` and served receive times passed in."""

from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.ptp.bmca import Candidate, better
from services.ptp.datasets import (
    DATA_SETS,
    CurrentDataSet,
    DefaultDataSet,
    ErrorStatus,
    ManagementError,
    ManagementTlv,
    ParentDataSet,
    PortDataSet,
    PortState,
    TimePropertiesDataSet,
    read_management,
)
from services.ptp.messages import (
    Action,
    Announce,
    ClockQuality,
    DelayResp,
    Flag,
    FollowUp,
    Header,
    Management,
    MessageType,
    PortIdentity,
    Sync,
    decode_message,
    encode_message,
)
from services.ptp.port import GrandmasterPort, PortSettings, TimeProperties
from tests.services.ptp import captures
from tests.services.ptp.test_messages import MALFORMED

SECOND = 10**9
OURS = bytes.fromhex("020000fffe000001")
PMC = PortIdentity(bytes.fromhex("8a492ffffe203bc5"), 1)
LOCKED = TimeProperties(
    ClockQuality(6, 0x21, 0x4E5D), 37, Flag.UTC_OFFSET_VALID | Flag.PTP_TIMESCALE, 0x20
)
START = 5 * SECOND
SERVED = 1_800_000_000 * SECOND + 123_456_789
SLAVE = "10.99.0.2"


def port(**changes: object) -> GrandmasterPort:
    return GrandmasterPort(PortSettings(OURS, **changes), LOCKED, START)  # type: ignore[arg-type]


def master(**changes: object) -> GrandmasterPort:
    gm = port(**changes)
    gm.poll(START + gm.announce_timeout_ns())
    assert gm.state is PortState.MASTER
    return gm


def announce_from(clock: bytes, sequence: int, priority1: int = 128, clock_class: int = 6) -> bytes:
    header = Header(MessageType.ANNOUNCE, PortIdentity(clock, 1), sequence, 0, 0, 0, 1)
    quality = ClockQuality(clock_class, 0x21, 0x4E5D)
    return encode_message(Announce(header, 0, 37, priority1, quality, 128, clock, 0, 0x20))


def test_listens_for_an_announce_receipt_timeout_then_masters() -> None:
    gm = port()
    assert gm.poll(START) == [] and gm.poll(START + 6 * SECOND - 1) == []
    assert gm.state is PortState.LISTENING
    sends = gm.poll(START + 6 * SECOND)
    kinds = [decode_message(send.data).header.message_type for send in sends]
    assert kinds == [MessageType.ANNOUNCE, MessageType.SYNC]
    assert [(c.old, c.new) for c in gm.changes] == [(PortState.LISTENING, PortState.MASTER)]


def test_announce_carries_the_time_properties_and_the_configured_priorities() -> None:
    gm = port(priority1=64, priority2=200, domain=7, log_announce_interval=0)
    announce = decode_message(gm.poll(START + 3 * SECOND)[0].data)
    assert isinstance(announce, Announce)
    assert (announce.priority1, announce.priority2, announce.header.domain) == (64, 200, 7)
    assert announce.quality == LOCKED.quality and announce.grandmaster == OURS
    assert (announce.utc_offset, announce.time_source) == (37, 0x20)
    assert announce.header.flags == Flag.UTC_OFFSET_VALID | Flag.PTP_TIMESCALE
    assert announce.header.source == PortIdentity(OURS, 1)


def test_timers_follow_the_log_intervals() -> None:
    gm = master(log_sync_interval=-2, log_announce_interval=1)
    t = START + gm.announce_timeout_ns()
    counts = {MessageType.ANNOUNCE: 0, MessageType.SYNC: 0}
    for step in range(1, 81):  # 10 s in steps of 125 ms
        for send in gm.poll(t + step * SECOND // 8):
            counts[decode_message(send.data).header.message_type] += 1
    assert counts == {MessageType.ANNOUNCE: 5, MessageType.SYNC: 40}


def test_a_sync_is_followed_up_with_its_transmit_time_on_the_ptp_timescale() -> None:
    gm = port()
    sync_send = gm.poll(START + 6 * SECOND)[1]
    sync = decode_message(sync_send.data)
    assert isinstance(sync, Sync) and sync.header.flags & Flag.TWO_STEP
    assert sync_send.stamp == sync.header.sequence_id and not sync_send.general
    assert gm.transmitted(sync.header.sequence_id + 1, SERVED) == []
    (follow,) = gm.transmitted(sync.header.sequence_id, SERVED)
    follow_up = decode_message(follow.data)
    assert isinstance(follow_up, FollowUp) and follow.general
    assert follow_up.header.sequence_id == sync.header.sequence_id
    assert follow_up.precise_origin_ns == SERVED + 37 * SECOND
    assert gm.transmitted(sync.header.sequence_id, SERVED) == []


def test_ptp4l_delay_req_gets_the_receive_time_back() -> None:
    gm = master()
    (send,) = gm.receive(captures.PTP4L_DELAY_REQ, SLAVE, SERVED, START + 7 * SECOND)
    response = decode_message(send.data)
    assert isinstance(response, DelayResp) and send.general
    assert response.receive_ns == SERVED + 37 * SECOND
    assert response.requesting == PMC and response.header.sequence_id == 0
    assert gm.slaves[SLAVE].identity == PMC and gm.slaves[SLAVE].requests == 1


def test_no_delay_resp_while_listening_or_without_a_receive_time() -> None:
    gm = port()
    assert gm.receive(captures.PTP4L_DELAY_REQ, SLAVE, SERVED, START) == []
    gm.poll(START + 6 * SECOND)
    assert gm.receive(captures.PTP4L_DELAY_REQ, SLAVE, None, START + 6 * SECOND) == []
    assert gm.counters["no_timestamp"] == 1 and gm.counters["delay_resp"] == 0


PMC_REQUESTS = [
    captures.PMC_GET_DEFAULT,
    captures.PMC_GET_DEFAULT_ZERO_LENGTH,
    captures.PMC_GET_CURRENT,
    captures.PMC_GET_PARENT,
    captures.PMC_GET_TIME_PROPERTIES,
    captures.PMC_GET_PORT,
]


def _data_set(send_data: bytes) -> object:
    response = decode_message(send_data)
    assert isinstance(response, Management) and response.action == Action.RESPONSE
    assert response.target == PMC and response.header.source == PortIdentity(OURS, 1)
    tlv = read_management(response.tlvs[0])
    assert isinstance(tlv, ManagementTlv)
    return DATA_SETS[tlv.id].unpack(tlv.data)  # type: ignore[index]


def test_pmc_gets_every_data_set() -> None:
    gm = master(priority1=64, domain=0)
    now = START + 7 * SECOND
    found = [_data_set(gm.receive(r, SLAVE, SERVED, now)[0].data) for r in PMC_REQUESTS]
    assert found == [
        DefaultDataSet(True, False, 1, 64, LOCKED.quality, 128, OURS, 0),
        DefaultDataSet(True, False, 1, 64, LOCKED.quality, 128, OURS, 0),
        CurrentDataSet(0, 0, 0),
        ParentDataSet(
            PortIdentity(OURS, 0), False, 0xFFFF, 0x7FFFFFFF, 64, LOCKED.quality, 128, OURS
        ),
        TimePropertiesDataSet(37, Flag.UTC_OFFSET_VALID | Flag.PTP_TIMESCALE, 0x20),
        PortDataSet(PortIdentity(OURS, 1), PortState.MASTER, 0, 1, 3, 0),
    ]
    assert gm.counters["management"] == 6


def test_management_set_is_refused_and_other_targets_are_not_answered() -> None:
    gm = master()
    (send,) = gm.receive(captures.PMC_SET_PRIORITY1, SLAVE, SERVED, START + 7 * SECOND)
    response = decode_message(send.data)
    assert isinstance(response, Management)
    assert read_management(response.tlvs[0]) == ErrorStatus(ManagementError.NOT_SUPPORTED, 0x2005)
    assert gm.counters["management_refused"] == 1
    assert gm.settings.priority1 == 128
    elsewhere = captures.PMC_GET_DEFAULT[:34] + bytes(10) + captures.PMC_GET_DEFAULT[44:]
    assert gm.receive(elsewhere, SLAVE, SERVED, START + 7 * SECOND) == []


def test_allow_list_keeps_delay_req_and_management_from_other_networks() -> None:
    gm = master(allow=["10.99.0.0/24"])
    now = START + 7 * SECOND
    assert gm.receive(captures.PTP4L_DELAY_REQ, "192.0.2.1", SERVED, now) == []
    assert gm.receive(captures.PMC_GET_DEFAULT, "192.0.2.1", SERVED, now) == []
    assert gm.counters["denied"] == 2
    assert len(gm.receive(captures.PTP4L_DELAY_REQ, SLAVE, SERVED, now)) == 1
    assert len(gm.receive(captures.PMC_GET_DEFAULT, SLAVE, SERVED, now)) == 1


def test_delay_req_from_one_source_is_rate_limited() -> None:
    gm = master()
    now = START + 7 * SECOND
    answered = sum(
        len(gm.receive(captures.PTP4L_DELAY_REQ, SLAVE, SERVED, now)) for _ in range(100)
    )
    assert answered == 8 and gm.counters["rate_limited"] == 92
    assert len(gm.receive(captures.PTP4L_DELAY_REQ, "10.99.0.3", SERVED, now)) == 1
    # A slave at its nominal rate (one a second, log_min_delay_req_interval 0) is answered.
    later = [
        gm.receive(captures.PTP4L_DELAY_REQ, SLAVE, SERVED, now + n * SECOND) for n in range(1, 30)
    ]
    assert all(len(sends) == 1 for sends in later)


def test_other_domains_and_our_own_messages_are_dropped() -> None:
    gm = master(domain=3)
    now = START + 7 * SECOND
    assert gm.receive(captures.PTP4L_DELAY_REQ, SLAVE, SERVED, now) == []
    assert gm.counters["other_domain"] == 1
    own = master()
    looped = own.poll(START + 100 * SECOND)[0].data
    assert own.receive(looped, "10.99.0.1", SERVED, START + 100 * SECOND) == []
    assert own.counters["own"] == 1


def test_a_better_master_makes_the_port_passive_until_it_goes_quiet() -> None:
    gm = master()
    better_clock = bytes.fromhex("0000000000000001")
    t = START + 10 * SECOND
    gm.receive(announce_from(better_clock, 0, priority1=10), "10.99.0.2", None, t)
    assert gm.poll(t) != [] and gm.state is PortState.MASTER  # one announce: not qualified
    gm.receive(announce_from(better_clock, 1, priority1=10), "10.99.0.2", None, t + 2 * SECOND)
    assert gm.poll(t + 2 * SECOND) == [] and gm.state is PortState.PASSIVE
    change = gm.changes[-1]
    assert (change.new, change.master) == (PortState.PASSIVE, PortIdentity(better_clock, 1))
    assert gm.receive(captures.PTP4L_DELAY_REQ, SLAVE, SERVED, t + 3 * SECOND) == []
    for n in range(2, 6):  # it keeps announcing every 2 s, up to t + 10 s
        gm.receive(announce_from(better_clock, n, priority1=10), SLAVE, None, t + 2 * n * SECOND)
        assert gm.poll(t + 2 * n * SECOND + 1) == [] and gm.state is PortState.PASSIVE
    # Silent for three of its announce intervals (the window then holds one announce).
    assert gm.poll(t + 16 * SECOND - 1) == [] and gm.state is PortState.PASSIVE
    assert gm.poll(t + 16 * SECOND) != [] and gm.state is PortState.MASTER


def test_a_worse_master_is_heard_and_ignored() -> None:
    gm = master()
    worse = bytes.fromhex("0000000000000001")
    t = START + 10 * SECOND
    for n in range(4):
        gm.receive(announce_from(worse, n, clock_class=248), "10.99.0.2", None, t + n * SECOND)
    assert gm.poll(t + 4 * SECOND) != [] and gm.state is PortState.MASTER
    assert gm.counters["announce_heard"] == 4


def test_a_better_master_heard_while_listening_keeps_the_port_from_mastering() -> None:
    gm = port()
    better_clock = bytes.fromhex("0000000000000001")
    for n in range(4):
        gm.receive(announce_from(better_clock, n, priority1=1), SLAVE, None, START + n * SECOND)
    assert gm.poll(START + 6 * SECOND) == [] and gm.state is PortState.PASSIVE


Q6, Q7 = ClockQuality(6, 0x21, 0x4E5D), ClockQuality(7, 0x21, 0x4E5D)
A, B = b"\x00" * 7 + b"\x01", b"\x00" * 7 + b"\x02"
SENDER = PortIdentity(A, 1)


@pytest.mark.parametrize(
    ("a", "b", "a_better"),
    [
        (Candidate(10, Q7, 128, B, 0, SENDER), Candidate(128, Q6, 128, A, 0, SENDER), True),
        (Candidate(128, Q6, 128, B, 0, SENDER), Candidate(128, Q7, 128, A, 0, SENDER), True),
        (Candidate(128, ClockQuality(6, 0x20, 0xFFFF), 128, B, 0, SENDER),
         Candidate(128, Q6, 128, A, 0, SENDER), True),
        (Candidate(128, ClockQuality(6, 0x21, 0x100), 128, B, 0, SENDER),
         Candidate(128, Q6, 128, A, 0, SENDER), True),
        (Candidate(128, Q6, 127, B, 0, SENDER), Candidate(128, Q6, 128, A, 0, SENDER), True),
        (Candidate(128, Q6, 128, A, 0, SENDER), Candidate(128, Q6, 128, B, 0, SENDER), True),
        (Candidate(128, Q6, 128, B, 0, SENDER), Candidate(128, Q6, 128, A, 0, SENDER), False),
        (Candidate(128, Q6, 128, A, 1, SENDER), Candidate(128, Q6, 128, A, 2, SENDER), True),
        (Candidate(128, Q6, 128, A, 1, PortIdentity(A, 2)),
         Candidate(128, Q6, 128, A, 1, PortIdentity(A, 1)), False),
    ],
)  # fmt: skip
def test_data_set_comparison(a: Candidate, b: Candidate, a_better: bool) -> None:
    assert better(a, b) is a_better
    if a != b:
        assert better(b, a) is not a_better


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(PMC_REQUESTS + [captures.PTP4L_DELAY_REQ, captures.PTP4L_ANNOUNCE]),
    st.integers(min_value=0, max_value=80),
    st.binary(min_size=1, max_size=6),
)
def test_damaged_messages_are_counted_never_raised(data: bytes, offset: int, junk: bytes) -> None:
    gm = master()
    damaged = data[:offset] + junk + data[offset + len(junk) :]
    gm.receive(damaged, SLAVE, SERVED, START + 7 * SECOND)
    counted = sum(gm.counters[k] for k in gm.counters if k not in ("received",))
    assert gm.counters["received"] == 1 and counted >= 1


def test_each_kind_of_malformed_message_is_counted_on_its_own() -> None:
    gm = master()
    for data, _message, _kind in MALFORMED:
        assert gm.receive(data, SLAVE, SERVED, START + 7 * SECOND) == []
    kinds = Counter(str(kind) for _data, _message, kind in MALFORMED)
    assert {kind: gm.counters[f"malformed_{kind}"] for kind in kinds} == dict(kinds)
    assert gm.counters["malformed"] == len(MALFORMED) == gm.counters["received"]


def test_a_management_request_without_its_one_tlv_is_a_malformed_tlv() -> None:
    gm = master()
    request = decode_message(PMC_REQUESTS[0])
    assert isinstance(request, Management)
    bare = encode_message(replace(request, tlvs=()))
    assert gm.receive(bare, SLAVE, SERVED, START + 7 * SECOND) == []
    assert gm.counters["malformed_tlv"] == 1 and gm.counters["management"] == 0
