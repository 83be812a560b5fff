"""ntpsec's ntpdig and ntpq, which only talk to port 123, in a network namespace of the test's
own: answered from an allowed network, nothing from a denied one, and mode 6 only with a
valid MAC where the rule requires authentication, its answer signed as ntpq checks it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scenarios.appliance import ROOT
from tests.tools import missing, require

NTPQ = ROOT / ".cache" / "ntpsec" / "usr" / "bin" / "ntpq"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, object]]]:
    unshare = require("unshare")
    require("ntpdig")
    if not NTPQ.exists():
        missing(f"ntpq ({NTPQ}, from 'make tools')")
    work = tmp_path_factory.mktemp("netns")
    driver = Path(__file__).with_name("netns_ntp.py")
    done = subprocess.run(
        [unshare, "-n", sys.executable, str(driver), str(work), str(NTPQ)],
        capture_output=True, text=True, timeout=180, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def dig(result: dict[str, object]) -> dict[str, object]:
    assert result["rc"] == 0, result
    return json.loads(str(result["out"]))  # type: ignore[no-any-return]


def test_ntpdig_without_and_with_a_key(results: dict[str, dict[str, dict[str, object]]]) -> None:
    allowed = results["allowed"]
    for name in ("ntpdig", "ntpdig_sha1", "ntpdig_md5"):
        answer = dig(allowed[name])
        assert answer["stratum"] == 1 and answer["leap"] == "no-leap", answer
        assert abs(float(answer["offset"])) < 0.01  # type: ignore[arg-type]


def test_ntpq_rv_from_an_allowed_address(results: dict[str, dict[str, dict[str, object]]]) -> None:
    out = str(results["allowed"]["ntpq"]["out"])
    assert "stratum=1" in out and "refid=GPS" in out, results["allowed"]["ntpq"]
    assert "leap_none" in out or "leap=00" in out


def test_nothing_from_a_denied_address(results: dict[str, dict[str, dict[str, object]]]) -> None:
    denied = results["denied"]
    for name in ("ntpdig", "ntpdig_sha1"):
        assert denied[name]["rc"] != 0 or "stratum" not in str(denied[name]["out"]), denied[name]
    assert "stratum=" not in str(denied["ntpq"]["out"])
    assert results["exit"] == 0


def test_ntpq_signed_readvar_where_authentication_is_required(
    results: dict[str, dict[str, dict[str, object]]],
) -> None:
    auth = results["auth"]
    for name in ("ntpq_md5", "ntpq_sha1", "ntpq_cmac"):
        out, err = str(auth[name]["out"]), str(auth[name]["err"])
        assert "stratum=1" in out and "refid=GPS" in out, auth[name]
        assert "AUTH" not in err, "ntpq checked the MAC of the answer and found it good"
    for name in ("ntpq", "ntpq_wrong"):
        assert "stratum=" not in str(auth[name]["out"]), auth[name]
