"""The JSON API: token or session auth, reads of the status and the config, and changes
staged and committed through the same command layer as the CLI, with its messages."""

import json

from tests.services.web.conftest import ADMIN_PASSWORD, MONITOR_PASSWORD, Browser, WebBench


async def token(browser: Browser, user: str, password: str) -> dict[str, str]:
    response = await browser.client.post("/api/v1/login", json={"user": user, "password": password})
    assert response.status == 200, await response.text()
    return {"Authorization": f"Bearer {(await response.json())['token']}"}


async def test_a_token_reads_the_status_tree(browser: Browser, bench: WebBench) -> None:
    auth = await token(browser, "watcher", MONITOR_PASSWORD)
    response = await browser.client.get("/api/v1/status", headers=auth)
    assert await response.json() == bench.status
    gps = await (await browser.client.get("/api/v1/gps", headers=auth)).json()
    assert gps["satellites_used"] == 9
    stats = await (await browser.client.get("/api/v1/ntp/stats", headers=auth)).json()
    assert stats == {"state": "running", "requests": 5}
    clients = await (await browser.client.get("/api/v1/ntp/clients", headers=auth)).json()
    assert clients == [{"address": "192.0.2.7"}]
    services = await (await browser.client.get("/api/v1/services", headers=auth)).json()
    assert services["ntp"] == {"enabled": True, "state": "running"}
    assert services["daytime"] == {"enabled": False, "state": "off"}
    config = await (await browser.client.get("/api/v1/config", headers=auth)).json()
    assert config["services"]["ntp"]["port"] == 123


async def test_without_a_token_or_with_a_wrong_password_nothing_is_served(
    browser: Browser, bench: WebBench
) -> None:
    assert (await browser.client.get("/api/v1/status")).status == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert (await browser.client.get("/api/v1/status", headers=bad)).status == 401
    response = await browser.client.post("/api/v1/login", json={"user": "admin", "password": "x"})
    assert response.status == 401
    assert [e.fields["source"] for e in bench.seen if e.kind == "login.failed"] == ["127.0.0.1"]
    for body in (b"{not json", b"[1, 2]"):
        refused = await browser.client.post("/api/v1/login", data=body)
        assert refused.status == 400 and "body:" in (await refused.json())["error"]


async def test_an_admin_stages_and_commits_as_on_the_cli(browser: Browser, bench: WebBench) -> None:
    auth = await token(browser, "admin", ADMIN_PASSWORD)
    change = {"services.daytime.enabled": True, "services.daytime.port": 1313}
    staged = await browser.client.post("/api/v1/config/staged", json=change, headers=auth)
    assert staged.status == 200
    assert (await staged.json())["staged"] == change
    listed = await browser.client.get("/api/v1/config/staged", headers=auth)
    assert await listed.json() == change
    committed = await browser.client.post("/api/v1/config/commit", headers=auth)
    assert committed.status == 200
    body = await committed.json()
    assert body["message"] == "committed services.daytime.enabled, services.daytime.port"
    assert body["staged"] == {}
    assert bench.store.config.services.daytime.port == 1313 and bench.reloads == 1
    audit = [json.loads(line) for line in (bench.store.audit.path).read_text().splitlines()]
    assert {(a["who"], a["source"], a["key"]) for a in audit} == {
        ("admin", "127.0.0.1", "services.daytime.enabled"),
        ("admin", "127.0.0.1", "services.daytime.port"),
    }


async def test_a_bad_value_gets_the_cli_message(browser: Browser, bench: WebBench) -> None:
    auth = await token(browser, "admin", ADMIN_PASSWORD)
    response = await browser.client.post(
        "/api/v1/config/staged", json={"services.ntp.port": 70000}, headers=auth
    )
    assert response.status == 409
    cli = bench.run("config set services.ntp.port 70000")
    assert (await response.json())["message"] == cli
    assert cli.startswith("refused, not staged: ") and "70000" in cli
    typo = await browser.client.post(
        "/api/v1/config/staged", json={"services.ntp.prot": 1123}, headers=auth
    )
    assert "did you mean services.ntp.port?" in (await typo.json())["message"]
    discarded = await browser.client.delete("/api/v1/config/staged", headers=auth)
    assert (await discarded.json())["message"] == "staged changes discarded"


async def test_a_monitor_token_changes_nothing(browser: Browser, bench: WebBench) -> None:
    auth = await token(browser, "watcher", MONITOR_PASSWORD)
    response = await browser.client.post(
        "/api/v1/config/staged", json={"services.daytime.enabled": True}, headers=auth
    )
    assert response.status == 403
    assert not bench.store.config.services.daytime.enabled


async def test_a_browser_session_needs_the_csrf_token_for_the_api(
    browser: Browser, bench: WebBench
) -> None:
    await browser.log_in("admin", ADMIN_PASSWORD)
    change = {"services.daytime.enabled": True}
    refused = await browser.post("/api/v1/config/staged", json=change)
    assert refused.status == 403
    assert (await refused.json())["error"] == "missing or wrong CSRF token"
    accepted = await browser.post("/api/v1/config/staged", csrf=browser.csrf, json=change)
    assert accepted.status == 200
    logged_out = await browser.send("DELETE", "/api/v1/session", csrf=browser.csrf)
    assert logged_out.status == 200
    assert (await browser.get("/api/v1/status")).status == 401
