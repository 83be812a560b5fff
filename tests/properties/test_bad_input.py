"""Bad input of every kind gets a clear error or is dropped: nothing raises unexpectedly."""

import asyncio
import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.base.config import SERVICE_NAMES, ConfigError, parse_config
from firmware.control import ControlService
from hal.gps.gpsd_client import GpsdReports
from tests.firmware.admin.conftest import Bench

scalars = st.one_of(st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False),
                    st.text(max_size=20))  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(["services", "gps", "syslog", "events", "timing", "admin", "panel",
                        "device", "bogus"])  # fmt: skip
SECTIONS = st.sampled_from([*SERVICE_NAMES, "backend", "sim", "targets", "keep", "rules"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, st.dictionaries(SECTIONS, values, max_size=4) | values, max_size=4))
def test_any_config_document_is_accepted_or_explained(document: dict[str, object]) -> None:
    try:
        parse_config(document, "config.toml", SERVICE_NAMES)
    except ConfigError as exc:
        assert exc.problems and all(line.startswith("config.toml: ") for line in exc.problems)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_control_socket_answers_anything(line: bytes) -> None:
    service = ControlService(Path("/nonexistent/control.sock"), dict)
    answer = service.answer(line)
    assert "status" in answer or "error" in answer


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=120), values.map(lambda v: json.dumps(v).encode()),
                 st.fixed_dictionaries({"class": st.sampled_from(["TPV", "SKY", "PPS", "TOFF"])},
                                       optional={"time": st.text(max_size=30), "mode": values,
                                                 "satellites": values, "clock_sec": values,
                                                 "clock_nsec": values, "real_sec": values})
                 .map(lambda v: json.dumps(v).encode())))  # fmt: skip
def test_gpsd_reports_never_raise(line: bytes) -> None:
    GpsdReports().feed(line, 0)


BENCH: list[Bench] = []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=6))
def test_console_sessions_take_any_bytes(chunks: list[bytes]) -> None:
    if not BENCH:
        BENCH.append(Bench(Path(tempfile.mkdtemp())))
    session = BENCH[0].login_session()

    async def feed_all() -> None:
        for chunk in chunks:
            await session.feed(chunk)

    asyncio.run(feed_all())
