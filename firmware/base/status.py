"""The status tree every console and the control socket show: a section per service, plus
reports that belong to no service."""

StatusTree = dict[str, dict[str, object]]
REPORTS = ("sim", "commit_confirmed")
"""Sections of the tree that are reports, not services."""
