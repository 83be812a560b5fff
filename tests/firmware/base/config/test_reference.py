"""docs/config.md is the schema's own reference and never drifts from it."""

import json
import subprocess
import sys
from pathlib import Path

from firmware.base.config import parse_config
from firmware.base.config.reference import reference_markdown
from firmware.base.config.schema import Config
from firmware.boot import AVAILABLE

ROOT = Path(__file__).resolve().parents[4]


def test_docs_config_md_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "config.md").read_text()
    assert committed == reference_markdown(AVAILABLE), "run `make reference`"


def test_every_key_is_documented() -> None:
    text = reference_markdown(AVAILABLE)
    for table in ("[services.ntp]", "[services.console]", "[gps.serial]", "[syslog]", "[events]"):
        assert f"`{table}`" in text

    def walk(model: type, prefix: str) -> None:
        for name, field in model.model_fields.items():  # type: ignore[attr-defined]
            assert field.description, f"{prefix}{name} has no description"
            kind = field.annotation
            if isinstance(kind, type) and hasattr(kind, "model_fields"):
                walk(kind, f"{prefix}{name}.")

    walk(Config, "")


def test_cli_prints_the_reference() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "firmware.cli", "config", "reference"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert out == reference_markdown(AVAILABLE)


def documented_defaults(text: str) -> dict[str, str]:
    """Key path -> the default column, from every table of the reference."""
    defaults, table = {}, ""
    for line in text.splitlines():
        if line.startswith("#") and "`" in line:
            table = line.split("`")[1].strip("[]")
        elif line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            defaults[f"{table}.{cells[0].strip('`')}"] = cells[2]
    return defaults


def test_documented_defaults_are_what_config_show_prints() -> None:
    """What the reference says a key defaults to is what an empty config file gives."""
    shown = parse_config({}, "empty", AVAILABLE).model_dump(mode="json")
    defaults = documented_defaults(reference_markdown(AVAILABLE))

    def walk(tree: dict[str, object], prefix: str) -> None:
        for name, value in tree.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{name}.")
                continue
            documented = defaults[f"{prefix}{name}"]
            assert documented.split("`")[1] == json.dumps(value), f"{prefix}{name}"

    walk(shown, "")
    assert "<class" not in reference_markdown(AVAILABLE)
    rule_keys = {key for key in defaults if key.startswith("services.ntp.rules.")}
    assert {"services.ntp.rules.network", "services.ntp.rules.require_auth"} <= rule_keys
