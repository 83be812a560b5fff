"""Events as log lines on stderr: readable text for people, or JSON for collectors."""

from __future__ import annotations

import sys
from typing import TextIO

from firmware.base.events.event import Event


class StderrLog:
    def __init__(self, json_lines: bool = False, stream: TextIO | None = None) -> None:
        self.json_lines = json_lines
        self.stream = stream if stream is not None else sys.stderr

    def __call__(self, event: Event) -> None:
        if self.json_lines:
            text = event.to_json()
        else:
            extra = " ".join(f"{key}={value}" for key, value in event.fields.items())
            text = f"{event.timestamp()} {event.severity.name.lower():<7} {event.message}"
            text = f"{text} [{extra}]" if extra else text
        try:
            self.stream.write(text + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass
