"""The dashboard as served: the time and its quality, the history for the charts, the
satellites, the stylesheet and script from the appliance, and the front panel for admins
while the keypad is unlocked."""

import re

from tests.services.web.conftest import ADMIN_PASSWORD, MONITOR_PASSWORD, Browser, WebBench


async def test_the_dashboard_shows_the_state_with_its_meaning(
    browser: Browser, bench: WebBench
) -> None:
    bench.status["timing"] |= {"leap_pending": "insert", "leap_indicator": 1}
    await browser.log_in("watcher", MONITOR_PASSWORD)
    text = await (await browser.get("/")).text()
    assert 'id="sync-state">LOCKED<' in text
    assert "disciplined to GPS and PPS" in text
    assert 'id="est-error">120 ns<' in text
    assert 'id="leap">insert pending, leap indicator 1<' in text
    assert '<script src="/static/dashboard.js"></script>' in text
    assert "<script>" not in text  # nothing inline: the CSP would refuse it


async def test_the_history_serves_the_sampled_series(browser: Browser, bench: WebBench) -> None:
    await browser.log_in("watcher", MONITOR_PASSWORD)
    bench.status["ntp"]["served"] = 0
    bench.context.history.sample(bench.status, bench.clock.now_ns())
    bench.status["ntp"]["served"] = 300
    bench.clock.step(3)
    bench.context.history.sample(bench.status, bench.clock.now_ns())
    data = await (await browser.get("/api/v1/history")).json()
    assert data["sync_state"] == "LOCKED" and data["est_error"] == "120 ns"
    assert data["series"]["est_error_ns"] == [120, 120]
    assert data["series"]["requests_per_s"] == [None, 100.0]
    assert data["served_utc"].endswith(" UTC")


async def test_satellites_are_drawn_as_bars_and_a_sky_plot(
    browser: Browser, bench: WebBench
) -> None:
    bench.status["gps"]["satellites"] = [
        {"prn": 7, "elevation": 90, "azimuth": 0, "snr": 45, "used": True},
        {"prn": 30, "elevation": 0, "azimuth": 90, "snr": 20, "used": False},
        {"prn": 31, "elevation": None, "azimuth": None, "snr": None, "used": False},
        "not a satellite",
    ]
    await browser.log_in("watcher", MONITOR_PASSWORD)
    text = await (await browser.get("/")).text()
    assert len(re.findall(r'<rect class="snr"', text)) == 3
    assert 'height="90" fill="#17733b"' in text  # 45 of 60 dB-Hz, 120 px high: used
    # Overhead in the centre; on the horizon due east, 90 px out.
    assert '<circle class="sat" cx="110.0" cy="110.0"' in text
    assert '<circle class="sat" cx="200.0" cy="110.0"' in text
    assert text.count('<circle class="sat"') == 2  # no position yet: not in the sky


async def test_the_stylesheet_is_public_and_nothing_else_is(browser: Browser) -> None:
    style = await browser.get("/static/style.css")
    assert style.status == 200 and style.content_type == "text/css"
    assert (await browser.get("/static/dashboard.js")).status == 303  # log in first
    await browser.log_in("watcher", MONITOR_PASSWORD)
    script = await browser.get("/static/dashboard.js")
    assert script.status == 200 and script.content_type == "text/javascript"
    assert (await browser.get("/static/..%2fapp.py")).status == 404
    assert (await browser.get("/static/app.py")).status == 404


async def test_admins_see_the_panel_and_press_its_keys_while_unlocked(
    browser: Browser, bench: WebBench
) -> None:
    pressed: list[str | None] = []

    def panel(key: str | None) -> list[str]:
        pressed.append(key)
        return ["LOCKED  stratum 1", f"key {key}"]

    bench.controls.panel = panel
    await browser.log_in("admin", ADMIN_PASSWORD)
    text = await (await browser.get("/")).text()
    assert "LOCKED  stratum 1" in text and 'name="key" value="enter"' in text
    response = await browser.post("/panel", data={"csrf": browser.csrf, "key": "down"})
    assert response.status == 303
    assert pressed[-1] == "down"
    keypad = bench.controls.keypad
    assert keypad is not None
    keypad.set_pin("4711", "admin", "console")
    keypad.lock("admin", "console")
    text = await (await browser.get("/")).text()
    assert "the keypad is locked" in text and 'name="key"' not in text
    await browser.post("/panel", data={"csrf": browser.csrf, "key": "up"})
    assert "up" not in pressed


async def test_monitors_see_no_panel_keys(browser: Browser, bench: WebBench) -> None:
    bench.controls.panel = lambda key: ["display"]
    await browser.log_in("watcher", MONITOR_PASSWORD)
    text = await (await browser.get("/")).text()
    assert "admins only" in text and 'name="key"' not in text
    response = await browser.post("/panel", data={"csrf": browser.csrf, "key": "up"})
    assert response.status == 403
