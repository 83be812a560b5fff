"""docs/config.md is the schema's own reference and never drifts from it."""

import subprocess
import sys
from pathlib import Path

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
