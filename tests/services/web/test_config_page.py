"""The configuration page: forms become the CLI's own command lines, so staging, messages,
refusals and the audit are the CLI's; monitors get the page without a form."""

import html
import re

from firmware.admin.shell import Session
from tests.services.web.conftest import ADMIN_PASSWORD, MONITOR_PASSWORD, Browser, WebBench


def notice(text: str) -> str:
    found = re.search(r'<div class="notice[^"]*" id="notice">([^<]*)</div>', text)
    assert found is not None, text
    return found[1]


async def submit(browser: Browser, form: str, **fields: str) -> str:
    response = await browser.post(f"/config/{form}", data={"csrf": browser.csrf, **fields})
    assert response.status == 303
    return await (await browser.get("/config")).text()


async def test_a_service_form_stages_then_commits_with_an_audit_entry(
    browser: Browser, bench: WebBench
) -> None:
    await browser.log_in("admin", ADMIN_PASSWORD)
    page = await submit(
        browser, "service", service="ssh", enabled="on", port="22",
        bind="0.0.0.0 ::", allow="192.0.2.0/24, 10.0.0.0/8",
    )  # fmt: skip
    assert "staged services.ssh.allow = [&quot;192.0.2.0/24&quot;, &quot;10.0.0.0/8&quot;]" in (
        notice(page)
    )
    assert "services.ssh.allow: [] -&gt;" in page  # config diff
    assert bench.store.config.services.ssh.allow == []
    page = await submit(browser, "commit")
    assert "committed services.ssh.allow" in notice(page)
    assert bench.store.config.services.ssh.allow == ["192.0.2.0/24", "10.0.0.0/8"]
    (entry,) = [e for e in bench.store.audit.entries() if e.key == "services.ssh.allow"]
    assert (entry.who, entry.source) == ("admin", "127.0.0.1")


async def test_a_bad_value_gets_the_cli_s_own_message(browser: Browser, bench: WebBench) -> None:
    await browser.log_in("admin", ADMIN_PASSWORD)
    page = await submit(browser, "service", service="daytime", port="70000", bind="", allow="")
    shown = notice(page)
    cli = bench.interpreter().run(
        "config set services.daytime.port 70000", Session("a", "admin", "x")
    )
    assert shown == html.escape(cli.text)
    assert "70000" in shown and "notice failed" in page
    assert "nothing staged" in page


async def test_services_toggle_through_services_enable_and_its_refusals(
    browser: Browser, bench: WebBench
) -> None:
    await browser.log_in("admin", ADMIN_PASSWORD)
    page = await submit(browser, "service", service="ntp", port="123", bind="0.0.0.0 ::")
    assert "NTP cannot be disabled" in notice(page)
    page = await submit(browser, "service", service="nosuch")
    assert "no service &#x27;nosuch&#x27;" in notice(page)
    page = await submit(browser, "service", service="daytime", enabled="on", port="13",
                        bind="0.0.0.0 ::", allow="")  # fmt: skip
    assert "staged services.daytime.enabled = true" in notice(page)
    page = await submit(browser, "discard")
    assert "staged changes discarded" in notice(page)


async def test_rules_keys_syslog_and_accounts(browser: Browser, bench: WebBench) -> None:
    await browser.log_in("admin", ADMIN_PASSWORD)
    page = await submit(browser, "rule-add", network="192.0.2.0/24", require_auth="on")
    assert "1 rules staged" in notice(page)
    assert "require_auth" in page
    page = await submit(browser, "key-add", id="7", type="AES128CMAC", key="00" * 16)
    assert "key 7 in use now" in notice(page)
    assert "00" * 16 not in page
    page = await submit(browser, "syslog", targets="udp://192.0.2.9:514")
    assert "staged syslog.targets" in notice(page)
    page = await submit(browser, "user-add", name="olga", role="monitor")
    assert re.search(r"olga added; one-time password \S+", notice(page))
    assert "olga" in bench.users.load()
    assert (await browser.post("/config/nosuch", data={"csrf": browser.csrf})).status == 404


async def test_monitors_read_the_page_but_get_no_form(browser: Browser, bench: WebBench) -> None:
    await browser.log_in("watcher", MONITOR_PASSWORD)
    page = await (await browser.get("/config")).text()
    assert "<th>ssh</th>" in page and "Accounts" in page
    assert re.findall(r'<form method="post" action="([^"]+)"', page) == ["/logout"]
    response = await browser.post(
        "/config/service", data={"csrf": browser.csrf, "service": "telnet", "enabled": "on"}
    )
    assert response.status == 403
    assert bench.store.config.services.telnet.enabled is False
