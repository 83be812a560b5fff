"""The password page: the policy, the retyped copy, the current password and the events of
`passwd`; a one-time password changed before anything else; an admin setting a one-time
password for another account from the configuration page, as `users password` does."""

import re

from firmware.admin.users import UserStore
from tests.services.web.conftest import ADMIN_PASSWORD, MONITOR_PASSWORD, Browser, WebBench

NEW = "a brand new passphrase"


def notice(text: str) -> str:
    found = re.search(r'<div class="notice[^"]*" id="notice">([^<]*)</div>', text)
    assert found is not None, text
    return found[1]


async def change(browser: Browser, **fields: str) -> tuple[int, str, str]:
    """POST /password; the status, where it goes, and the notice shown there."""
    response = await browser.post("/password", data={"csrf": browser.csrf, **fields})
    where = response.headers.get("Location", "")
    return response.status, where, notice(await (await browser.get(where)).text())


async def test_a_one_time_password_is_changed_first(browser: Browser, bench: WebBench) -> None:
    bench.users.create("newbie", "monitor", "one-time-password-1", must_change=True)
    await browser.log_in("newbie", "one-time-password-1")
    page = await (await browser.get("/password")).text()
    assert "must be changed now" in page and 'name="current"' not in page
    assert await change(browser, new="short", confirm="short") == (
        303, "/password", "a password needs at least 12 characters",
    )  # fmt: skip
    assert (await change(browser, new=NEW, confirm=NEW + "!"))[2] == "Passwords do not match."
    assert (await browser.get("/")).headers["Location"] == "/password"
    assert await change(browser, new=NEW, confirm=NEW) == (303, "/", "Password changed.")
    assert (await browser.get("/")).status == 200
    account = UserStore(bench.users.path).load()["newbie"]
    assert not account.must_change_password and account.password_hash.startswith("$scrypt$")
    assert bench.users.check("newbie", NEW) is not None
    assert "password.changed" in bench.kinds() and NEW not in str(bench.seen)


async def test_a_monitor_changes_its_own_password_with_the_current_one(
    browser: Browser, bench: WebBench
) -> None:
    await browser.log_in("watcher", MONITOR_PASSWORD)
    assert 'name="current"' in await (await browser.get("/password")).text()
    wrong = await change(browser, current="not it at all", new=NEW, confirm=NEW)
    assert wrong[2] == "Wrong password." and "password.change_failed" in bench.kinds()
    assert bench.users.check("watcher", MONITOR_PASSWORD) is not None
    done = await change(browser, current=MONITOR_PASSWORD, new=NEW, confirm=NEW)
    assert done == (303, "/", "Password changed.")
    assert bench.users.check("watcher", NEW) is not None


async def test_an_admin_sets_a_one_time_password_for_another_account(
    browser: Browser, bench: WebBench
) -> None:
    await browser.log_in("admin", ADMIN_PASSWORD)
    response = await browser.post(
        "/config/user-password", data={"csrf": browser.csrf, "name": "watcher"}
    )
    shown = notice(await (await browser.get("/config")).text())
    assert response.status == 303
    found = re.fullmatch(r"watcher: one-time password (\S+) \(changed at the next login\)", shown)
    assert found, shown
    account = bench.users.load()["watcher"]
    assert account.must_change_password and bench.users.check("watcher", found[1])
    (entry,) = [e for e in bench.store.audit.entries() if e.key == "users.watcher.password"]
    assert (entry.who, entry.new) == ("admin", "one-time password")
    assert found[1] not in (bench.controls.data_dir / "audit.log").read_text()
    await browser.post("/config/user-password", data={"csrf": browser.csrf, "name": "admin"})
    assert "passwd changes your password" in notice(await (await browser.get("/config")).text())
