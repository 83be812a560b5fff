"""/metrics: the status tree in Prometheus text, parsed by prometheus_client's own parser;
a login or [services.https] metrics_allow is needed to scrape it."""

from dataclasses import replace

from aiohttp import DummyCookieJar
from prometheus_client.parser import text_string_to_metric_families

from services.web.app import make_app
from tests.services.web.conftest import ADMIN_PASSWORD, AiohttpClient, Browser, WebBench


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_match_the_status_tree(browser: Browser, bench: WebBench) -> None:
    bench.status["timing"] |= {"stratum": 1, "leap_indicator": 0, "holdover_s": 0.0,
                               "last_offset_ns": -250}  # fmt: skip
    bench.status["ntp"] |= {"served": 40, "served_stale": 2, "kod_sent": 3, "rate_limited": 7}
    bench.status["https"] = {"state": "running"}
    bench.status["daytime"] = {"state": "failed"}
    bench.bus.subscribe(bench.context.login_failures.seen)
    await browser.log_in("admin", "wrong password, once")
    await browser.log_in("admin", ADMIN_PASSWORD)
    response = await browser.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    found = samples(await response.text())
    assert all(name.startswith("timeserver_") for name, _ in found)
    assert found[("timeserver_sync_state", (("state", "LOCKED"),))] == 1
    assert found[("timeserver_sync_state", (("state", "HOLDOVER"),))] == 0
    assert found[("timeserver_estimated_error_seconds", ())] == 120e-9
    assert found[("timeserver_offset_seconds", ())] == -250e-9
    assert found[("timeserver_stratum", ())] == 1
    assert found[("timeserver_gps_satellites_used", ())] == 9
    assert found[("timeserver_ntp_replies_total", ())] == 40  # the 2 stale ones are inside
    assert found[("timeserver_ntp_kod_total", ())] == 3
    assert found[("timeserver_ntp_refused_total", (("reason", "rate_limited"),))] == 7
    assert found[("timeserver_ntp_requests_total", (("outcome", "served"),))] == 40
    assert found[("timeserver_service_up", (("service", "https"),))] == 1
    assert found[("timeserver_service_up", (("service", "daytime"),))] == 0
    assert found[("timeserver_login_failures_total", ())] == 1


async def test_a_scrape_needs_a_login_unless_metrics_allow_names_the_scraper(
    browser: Browser, bench: WebBench, aiohttp_client: AiohttpClient
) -> None:
    assert (await browser.get("/metrics")).status == 401
    for allow, status in ((["192.0.2.0/24"], 401), (["127.0.0.0/8"], 200)):
        context = replace(bench.context, metrics_allow=allow)
        client = await aiohttp_client(make_app(context), cookie_jar=DummyCookieJar())
        assert (await client.get("/metrics")).status == status
        assert (await client.get("/api/v1/status")).status == 401  # nothing else opens
