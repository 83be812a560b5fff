"""kill -9 at any moment of a config write leaves the old file or the new one, never a mix."""

import os
import random
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

WRITER = r"""
import sys
from pathlib import Path
from firmware.base.atomic_file import write_atomic

path = Path(sys.argv[1])
versions = [Path(p).read_bytes() for p in sys.argv[2:]]
print("ready", flush=True)
n = 0
while True:
    write_atomic(path, versions[n % len(versions)])
    n += 1
"""


def version(tag: str) -> bytes:
    # Large enough that a write takes several system calls' worth of time.
    rows = "".join(f'key{n} = "{tag * 40}"\n' for n in range(4000))
    return f'tag = "{tag}"\n[bulk]\n{rows}'.encode()


def test_kill_9_never_leaves_a_torn_config(tmp_path: Path) -> None:
    versions = {tag: version(tag) for tag in ("a", "b", "c")}
    files = []
    for tag, data in versions.items():
        (tmp_path / f"{tag}.src").write_bytes(data)
        files.append(str(tmp_path / f"{tag}.src"))
    target = tmp_path / "config.toml"
    target.write_bytes(versions["a"])
    rng = random.Random(7)
    kills = 0
    deadline = time.monotonic() + 60
    while kills < 60 and time.monotonic() < deadline:
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(target), *files],
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[4],
        )
        assert writer.stdout is not None
        assert writer.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        kills += 1
        data = target.read_bytes()
        assert data in versions.values(), f"torn file after kill {kills}: {len(data)} bytes"
        assert tomllib.loads(data.decode())["tag"] in versions
    assert kills == 60
