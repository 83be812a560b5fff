"""A pty link never replaces, follows or removes anything but an earlier pty link of ours."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hal.errors import DeviceError
from sim.clock import SteppedClock
from sim.console import PtyConsolePort
from sim.gps.device import SimGpsDevice
from sim.gps.receiver import ReceiverSettings, SimReceiver
from sim.links import place_link, remove_link


@pytest.fixture
def pty() -> Iterator[str]:
    master, slave = os.openpty()
    yield os.ttyname(slave)
    os.close(master)
    os.close(slave)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file of someone else's, outside the link directory, standing in for /etc/passwd."""
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    return victim


def test_link_is_made_in_a_new_directory_and_removed(tmp_path: Path, pty: str) -> None:
    link = tmp_path / "links" / "gps0"
    place_link(link, pty, own_directory=True)
    assert os.readlink(link) == pty
    remove_link(link, pty)
    assert not os.path.lexists(link)


def test_an_earlier_pty_link_is_replaced(tmp_path: Path, pty: str) -> None:
    link = tmp_path / "links" / "gps0"
    link.parent.mkdir()
    link.symlink_to("/dev/pts/999")
    place_link(link, pty, own_directory=True)
    assert os.readlink(link) == pty
    assert os.listdir(link.parent) == ["gps0"]


def test_a_regular_file_is_never_replaced(tmp_path: Path, pty: str) -> None:
    link = tmp_path / "gps0"
    link.write_text("precious\n")
    with pytest.raises(DeviceError, match="exists and is not a link this appliance made"):
        place_link(link, pty, own_directory=False)
    assert link.read_text() == "precious\n"


def test_a_directory_is_never_replaced(tmp_path: Path, pty: str) -> None:
    link = tmp_path / "links" / "gps0"
    link.mkdir(parents=True)
    with pytest.raises(DeviceError):
        place_link(link, pty, own_directory=True)
    assert link.is_dir()


def test_a_symlink_to_someone_elses_file_is_neither_followed_nor_replaced(
    tmp_path: Path, pty: str, outside: Path
) -> None:
    link = tmp_path / "links" / "gps0"
    link.parent.mkdir()
    link.symlink_to(outside)
    with pytest.raises(DeviceError, match="not one this appliance made"):
        place_link(link, pty, own_directory=True)
    assert os.readlink(link) == str(outside) and outside.read_text() == "precious\n"
    remove_link(link, pty)
    assert link.is_symlink()


def test_a_symlinked_link_directory_is_refused(tmp_path: Path, pty: str) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "links").symlink_to(elsewhere)
    with pytest.raises(DeviceError, match="not a symlink"):
        place_link(tmp_path / "links" / "gps0", pty, own_directory=True)
    assert os.listdir(elsewhere) == []


def test_a_link_directory_holding_other_files_is_refused(
    tmp_path: Path, pty: str, outside: Path
) -> None:
    # tmp_path holds the victim, as /etc holds passwd: not a directory kept for links.
    with pytest.raises(DeviceError, match="holds victim, which is not a link"):
        place_link(tmp_path / "gps0", pty, own_directory=True)
    assert not os.path.lexists(tmp_path / "gps0")


@pytest.mark.parametrize("name", ["..", "../gps0", "../../victim"])
def test_a_name_that_leaves_the_directory_is_refused(
    tmp_path: Path, pty: str, outside: Path, name: str
) -> None:
    (tmp_path / "links").mkdir()
    with pytest.raises(DeviceError, match="plain name"):
        place_link(tmp_path / "links" / name, pty, own_directory=False)
    assert sorted(os.listdir(tmp_path)) == ["links", "victim"]


def test_remove_leaves_a_file_that_took_the_links_place(tmp_path: Path, pty: str) -> None:
    link = tmp_path / "links" / "gps0"
    place_link(link, pty, own_directory=True)
    link.unlink()
    link.write_text("someone else's\n")
    remove_link(link, pty)
    assert link.read_text() == "someone else's\n"


async def test_the_console_pty_leaves_a_file_at_its_link_path_alone(outside: Path) -> None:
    port = PtyConsolePort(str(outside))
    with pytest.raises(DeviceError):
        await port.open()
    await port.close()
    assert outside.read_text() == "precious\n" and not outside.is_symlink()


async def test_the_gps_pty_leaves_a_file_at_its_link_path_alone(outside: Path) -> None:
    clock = SteppedClock(1_800_000_000 * 10**9)
    device = SimGpsDevice(SimReceiver(ReceiverSettings(), clock.now_ns()), clock, str(outside))
    with pytest.raises(DeviceError):
        await device.start()
    await device.stop()
    assert outside.read_text() == "precious\n" and not outside.is_symlink()
