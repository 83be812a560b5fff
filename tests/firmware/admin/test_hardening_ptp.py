"""The hardening report: what does not apply is N/A, an advisory shortfall is a WARN that
does not fail it (PTP without an allow-list: PTP has no authentication in its profile)."""

from pathlib import Path

from firmware.admin.hardening import all_passed, format_checks, hardening_checks
from firmware.base.config import SERVICE_NAMES, parse_config


def ptp_line(report: str) -> list[str]:
    lines = report.splitlines()
    (index,) = [n for n, line in enumerate(lines) if "PTP answers only listed networks" in line]
    return lines[index : index + 2]


def test_ptp_without_an_allow_list_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    off = hardening_checks(parse_config({}, "t", SERVICE_NAMES), tmp_path, None)
    assert ptp_line(format_checks(off))[0].startswith("N/A ")
    ptp = {"enabled": True, "interface": "eth0"}
    open_ptp = parse_config({"services": {"ptp": ptp}}, "t", SERVICE_NAMES)
    checks = hardening_checks(open_ptp, tmp_path, None)
    report = format_checks(checks)
    assert ptp_line(report) == [
        "WARN  PTP answers only listed networks (PTP has no authentication)",
        """      fix: config set services.ptp.allow '["192.0.2.0/24"]', then commit""",
    ]
    assert report.splitlines()[-1].endswith(", 1 warnings")
    without_ptp = [check for check in checks if "PTP" not in check.name]
    assert all_passed(checks) == all_passed(without_ptp)  # a warning fails nothing
    listed = parse_config(
        {"services": {"ptp": {**ptp, "allow": ["192.0.2.0/24"]}}}, "t", SERVICE_NAMES
    )
    assert ptp_line(format_checks(hardening_checks(listed, tmp_path, None)))[0].startswith("PASS")
