"""The status report every console prints: sync state first, then GPS, then services."""

from __future__ import annotations

import datetime

from firmware.base.status import REPORTS, StatusTree
from firmware.timing.sync_state import error_text


def _stamp(value: object) -> str:
    if not isinstance(value, int):
        return "never"
    moment = datetime.datetime.fromtimestamp(value / 1e9, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def format_status(tree: StatusTree) -> str:
    lines = []
    timing = tree.get("timing")
    if timing:
        lines += [
            f"state       {timing['sync_state']} (stratum {timing['stratum']}, "
            f"leap indicator {timing['leap_indicator']}, refid {timing['refid']})",
            f"error       estimated {error_text(timing['est_error_ns'])}",
            f"frequency   {timing['frequency_ppm']:+} ppm correction",
            f"holdover    {timing['holdover_s']} s",
            f"leap        {timing['leap_pending']} pending",
            f"last PPS    {_stamp(timing['last_pps_ns'])}",
        ]
    gps = tree.get("gps")
    if gps:
        lines.append(
            f"gps         {gps.get('fix', '?')} fix, {gps.get('satellites_used', 0)} satellites "
            f"used of {gps.get('satellites_in_view', 0)}, antenna {gps.get('antenna', '?')}"
        )
    sim = tree.get("sim")
    if sim:
        lines.append(
            f"sim         true error {sim['true_error_ns']} ns (served minus the simulated "
            f"world's UTC); world offset {sim['offset_ns']} ns, {sim['frequency_ppm']:+.6f} ppm"
        )
    pending = tree.get("commit_confirmed")
    if pending:
        lines.append(
            f"commit      confirmed by {pending['by']} from {pending['from']} rolls back at "
            f"{pending['rolls_back_at']} ({pending['remaining_s']} s left) unless someone "
            "types 'config confirm' in a new session"
        )
    firmware = tree.get("firmware")
    if firmware:
        signed = f", signed by key {firmware['signed_by']}" if firmware.get("signed_by") else ""
        trial = " (on trial)" if firmware.get("trial") else ""
        lines.append(
            f"firmware    {firmware.get('version')} from {firmware.get('slot')}{signed}{trial}"
        )
    lines.append("services")
    for name, fields in tree.items():
        if name in REPORTS:
            continue
        state = fields.get("state", "?")
        error = f"  ({fields['last_error']})" if fields.get("last_error") else ""
        restarts = f", {fields['restarts']} restarts" if fields.get("restarts") else ""
        path = f", {fields['packet_path']} packet path" if fields.get("packet_path") else ""
        # SNMP says where its front door listens and whether its subagent is registered.
        agent = (f", on {fields['listening']}, subagent {fields['subagent']}"
                 if fields.get("subagent") else "")  # fmt: skip
        lines.append(f"  {name:<9} {state}{restarts}{path}{agent}{error}")
    return "\n".join(lines)
