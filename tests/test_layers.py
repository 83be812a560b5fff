"""The layers hold: `make lint`'s import contract fails on an upward import, and hal and sim
stand alone (no config schema, so no pydantic, behind a driver or a simulated device)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the packages and of the contract, to break on purpose."""
    for package in ("firmware", "hal", "services", "sim"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.so")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("module", "upward", "contract"),
    [
        ("hal/gps/nmea.py", "import firmware.base.events", "Layers, top to bottom"),
        ("firmware/base/access.py", "import firmware.timing.leaps", "Layers, top to bottom"),
        ("firmware/timing/servo.py", "import services.ntp.packet", "Layers, top to bottom"),
        ("services/ntp/engine.py", "import firmware.boot", "Layers, top to bottom"),
        ("services/ssh/server.py", "import firmware.gps_service", "Layers, top to bottom"),
        ("sim/world.py", "import firmware.base.status", "Simulated devices use only"),
        ("services/telnet/server.py", "import firmware.admin.commands", "Services never reach"),
    ],
)
def test_an_upward_import_fails_the_contract(
    tree: Path, module: str, upward: str, contract: str
) -> None:
    assert lint_imports(tree).returncode == 0
    path = tree / module
    path.write_text(path.read_text() + f"\n{upward}  # an import that points the wrong way\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout, result.stdout


def test_hal_and_sim_run_without_the_config_schema() -> None:
    """The sim receiver's and the NMEA driver's tests, in a process of their own."""
    code = (
        "import sys, pytest\n"
        "import hal.gps.nmea, hal.gps.serial_nmea, hal.gps.gpsd_client, sim.gps.backend\n"
        "status = pytest.main(['-q', '-p', 'no:cacheprovider', 'tests/sim', 'tests/hal'])\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pydantic', 'firmware', 'services'))\n"
        "print('leaked:', leaked)\n"
        "sys.exit(status or (3 if leaked else 0))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "leaked: []" in result.stdout
