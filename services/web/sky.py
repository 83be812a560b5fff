"""The satellites in view as inline SVG, drawn on the server: SNR bars and a sky plot
(elevation as distance from the rim, azimuth clockwise from north). Presentation
attributes only, no style attributes (the CSP forbids inline styles)."""

from __future__ import annotations

import html
import math
from typing import Any

SNR_TOP = 60
"""dB-Hz at the top of the bar chart."""
BAR_W, BAR_H, SKY_R = 28, 120, 90


def _colour(satellite: dict[str, Any]) -> str:
    return "#17733b" if satellite.get("used") else "#8c959f"


def snr_bars(satellites: list[dict[str, Any]]) -> str:
    """One bar per satellite, green when used in the fix, its PRN under it."""
    shown = sorted(satellites, key=lambda s: int(s.get("prn", 0)))
    width = max(1, len(shown)) * BAR_W
    parts = []
    for n, sat in enumerate(shown):
        snr = max(0, min(SNR_TOP, int(sat.get("snr") or 0)))
        height = BAR_H * snr // SNR_TOP
        x = n * BAR_W
        parts.append(
            f'<rect class="snr" x="{x + 4}" y="{BAR_H - height}" width="{BAR_W - 8}" '
            f'height="{height}" fill="{_colour(sat)}"><title>PRN {int(sat.get("prn", 0))}: '
            f"{snr} dB-Hz</title></rect>"
            f'<text x="{x + BAR_W // 2}" y="{BAR_H + 14}" text-anchor="middle" '
            f'font-size="11">{int(sat.get("prn", 0))}</text>'
        )
    return (
        f'<svg role="img" aria-label="SNR of each satellite" width="{width}" '
        f'height="{BAR_H + 18}" viewBox="0 0 {width} {BAR_H + 18}">{"".join(parts)}</svg>'
    )


def sky_plot(satellites: list[dict[str, Any]]) -> str:
    centre = SKY_R + 20  # room for the labels at the rim
    rings = "".join(
        f'<circle cx="{centre}" cy="{centre}" r="{SKY_R * (90 - e) // 90}" fill="none" '
        f'stroke="#d8dce1"/>'
        for e in (0, 30, 60)
    )
    dots = []
    for sat in satellites:
        elevation, azimuth = sat.get("elevation"), sat.get("azimuth")
        if not isinstance(elevation, int) or not isinstance(azimuth, int):
            continue  # not tracked yet: no place in the sky
        r = SKY_R * (90 - max(0, min(90, elevation))) / 90
        x = centre + r * math.sin(math.radians(azimuth))
        y = centre - r * math.cos(math.radians(azimuth))
        prn = html.escape(str(sat.get("prn", "?")))
        dots.append(
            f'<circle class="sat" cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{_colour(sat)}"/>'
            f'<text x="{x + 8:.1f}" y="{y + 4:.1f}" font-size="10">{prn}</text>'
        )
    size = 2 * centre
    return (
        f'<svg role="img" aria-label="sky plot" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}">{rings}<text x="{centre - 4}" y="10" font-size="10">N'
        f"</text>{''.join(dots)}</svg>"
    )


def satellite_views(reported: list[Any]) -> str:
    satellites = [s for s in reported if isinstance(s, dict) and isinstance(s.get("prn"), int)]
    if not satellites:
        return "<p>no satellites in view</p>"
    return f"<h2>Signal (dB-Hz)</h2>{snr_bars(satellites)}<h2>Sky</h2>{sky_plot(satellites)}"
