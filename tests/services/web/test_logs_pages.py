"""The logs and hardening pages: the event and audit logs filtered, and the audit report
with each fix a link to the page where it is made."""

import re

from firmware.admin.hardening import hardening_checks
from firmware.base.events import Severity
from tests.services.web.conftest import ADMIN_PASSWORD, MONITOR_PASSWORD, Browser, WebBench


def rows(text: str) -> list[str]:
    table = text.split('<table id="log">')[1].split("</table>")[0]
    return re.findall(r"<tr><td>(.*?)</td></tr>", table)


async def test_events_filter_by_text_severity_and_security(
    browser: Browser, bench: WebBench
) -> None:
    for severity, message, security in [
        (Severity.INFO, "ntp started", False),
        (Severity.WARNING, "antenna open", False),
        (Severity.NOTICE, "user <b>x</b> added", True),
    ]:
        bench.controls.events.write(bench.bus.emit("test", severity, message, security=security))
    await browser.log_in("watcher", MONITOR_PASSWORD)
    everything = rows(await (await browser.get("/logs")).text())
    assert any("antenna open" in row for row in everything)
    assert "user &lt;b&gt;x&lt;/b&gt; added" in everything[0]  # newest first, escaped
    warnings = rows(await (await browser.get("/logs?severity=warning")).text())
    assert [("antenna open" in row) for row in warnings] == [True]
    assert len(rows(await (await browser.get("/logs?q=NTP+STARTED")).text())) == 1
    security = rows(await (await browser.get("/logs?security=on")).text())
    assert len(security) == 1 and "added" in security[0]


async def test_the_audit_log_shows_who_changed_what(browser: Browser, bench: WebBench) -> None:
    bench.store.set({"services.daytime.enabled": True}, "admin", "192.0.2.4")
    bench.store.set({"syslog.facility": "local3"}, "ops", "192.0.2.5")
    await browser.log_in("watcher", MONITOR_PASSWORD)
    shown = rows(await (await browser.get("/logs?log=audit&q=daytime")).text())
    assert len(shown) == 1
    assert "admin</td><td>192.0.2.4</td><td>config</td><td>services.daytime.enabled" in shown[0]
    assert "false -&gt; true" in shown[0]


async def test_hardening_fixes_link_to_their_page(browser: Browser, bench: WebBench) -> None:
    await browser.log_in("admin", ADMIN_PASSWORD)
    text = await (await browser.get("/hardening")).text()
    checks = hardening_checks(bench.store.config, bench.controls.data_dir, bench.controls.keypad)
    failed = [check for check in checks if check.mark.strip() == "FAIL"]
    assert failed
    links = re.findall(r'fix: <a href="([^"]+)">', text)
    assert "/config#services" in links and "/config#syslog" in links
    assert '<td class="FAIL">FAIL</td><td>remote syslog configured</td>' in text
    assert f"{len(failed)} failed" in text


async def test_the_events_api_filters_as_the_page_does(browser: Browser, bench: WebBench) -> None:
    for n, severity in enumerate([Severity.INFO, Severity.WARNING, Severity.ERROR]):
        bench.controls.events.write(bench.bus.emit("test", severity, f"event {n}"))
    assert (await browser.get("/api/v1/events")).status == 401
    await browser.log_in("watcher", MONITOR_PASSWORD)
    shown = await (await browser.get("/api/v1/events?severity=warning")).json()
    assert [e["message"] for e in shown] == ["event 1", "event 2"]
    assert shown[1]["severity"] == "error" and shown[1]["kind"] == "test"
    newest = await (await browser.get("/api/v1/events?limit=1&q=EVENT")).json()
    assert [e["message"] for e in newest] == ["event 2"]
