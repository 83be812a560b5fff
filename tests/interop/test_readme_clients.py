"""The README's "Pointing a client at it", as a user would follow it: its commands typed on
the appliance over SSH, its chrony key and server lines given to a real chronyd."""

import re
from pathlib import Path

from tests.interop.ntp_appliance import chronyd_offset, ntp_config
from tests.scenarios.appliance import ROOT, Booted, write_config
from tests.tools import free_port, ssh_run

PASSWORD = "readme-client-pass-1"


def readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Pointing a client at it\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```\n(.*?)```", section, re.S)


def test_the_readme_client_recipe_gets_authenticated_time(tmp_path: Path) -> None:
    commands, chrony_keys, chrony_conf, _, _, lift = readme_blocks()
    ssh_port, ntp_port = free_port(), free_port()
    config = ntp_config(ntp_port, "") + f'[services.ssh]\nport = {ssh_port}\nbind = ["127.0.0.1"]\n'
    booted = Booted(tmp_path / "data", write_config(tmp_path / "config.toml", config),
                    password=PASSWORD)  # fmt: skip
    try:
        booted.wait_event("timing.locked", seconds=30)
        for block in (commands, lift):
            # A block typed in one session (what it stages, its 'config commit' commits).
            line = "; ".join(block.splitlines()).replace("192.0.2.0/24", "127.0.0.0/8")
            result = ssh_run(ssh_port, PASSWORD, line)
            assert result.returncode == 0, (line, result.stdout, result.stderr)
        keyfile = tmp_path / "keys" / "chrony.keys"
        keyfile.parent.mkdir(mode=0o755)
        keyfile.write_text(chrony_keys)
        keyfile.chmod(0o644)
        (key_line,) = [line for line in chrony_conf.splitlines() if line.startswith("server")]
        key_id = int(key_line.split(" key ")[1])
        offset = chronyd_offset(ntp_port, keyfile, key_id)
        assert offset is not None and abs(offset) < 0.001
        assert chronyd_offset(ntp_port, None, None) is None  # require_auth: no key, no time
    finally:
        booted.stop()
