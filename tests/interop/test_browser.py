"""The web console in a real browser: Debian's headless Chromium, driven by selenium through
chromedriver, against the appliance booted on loopback with its own self-signed certificate.
It logs in, watches the dashboard's chart fill, changes a service and commits it, finds the
audit entry, logs out; a monitor gets no change form; wrong passwords lock out as on SSH."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from firmware.admin.users import UserStore
from tests.interop.https_appliance import ADMIN_PASSWORD, Web, boot_web
from tests.tools import require

MONITOR_PASSWORD = "watching the clock"
WAIT_S = 30
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--ignore-certificate-errors",  # the appliance's own self-signed certificate, on loopback
    "--window-size=1280,1800",
)  # fmt: skip


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = require("chromium")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    driver = webdriver.Chrome(options=options, service=Service(require("chromedriver")))
    driver.set_page_load_timeout(WAIT_S)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    web = boot_web(tmp_path_factory.mktemp("browser"))
    # A monitor account with a password of its own (a new account's one-time password would
    # send it to the password page first).
    UserStore(web.booted.data_dir / "users.json").create(
        "watcher", "monitor", MONITOR_PASSWORD, must_change=False
    )
    yield web
    web.booted.stop()


def url(web: Web, path: str) -> str:
    return f"https://127.0.0.1:{web.port}{path}"


def log_in(driver: WebDriver, web: Web, user: str, password: str) -> None:
    driver.get(url(web, "/"))
    assert driver.current_url == url(web, "/login")
    driver.find_element(By.NAME, "user").send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(password)
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button"))


def submit(driver: WebDriver, button: WebElement) -> None:
    """Click a form's button and wait for the page it leads to."""
    button.click()
    WebDriverWait(driver, WAIT_S).until(expected_conditions.staleness_of(button))


def notice(driver: WebDriver) -> str:
    return str(driver.find_element(By.ID, "notice").text)


def test_an_admin_changes_a_service_and_finds_the_audit_entry(
    web: Web, browser: WebDriver, tmp_path: Path
) -> None:
    log_in(browser, web, "admin", ADMIN_PASSWORD)
    assert browser.current_url == url(web, "/")
    chart = browser.find_element(By.CSS_SELECTOR, "canvas[data-series='offset_ns']")
    WebDriverWait(browser, WAIT_S).until(lambda d: int(chart.get_attribute("data-points")) >= 2)
    live = browser.find_element(By.ID, "live").text
    assert live.startswith("updated"), live  # the script ran under the CSP, fetch worked
    assert browser.find_element(By.ID, "sync-state").text in ("FREERUN", "LOCKED")
    assert browser.find_elements(By.CSS_SELECTOR, "#gps rect.snr")
    browser.save_screenshot(str(tmp_path / "dashboard.png"))

    browser.get(url(web, "/config"))
    allow = browser.find_element(By.CSS_SELECTOR, "#service-ssh input[name='allow']")
    allow.clear()
    allow.send_keys("127.0.0.0/8 ::1")
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#service-ssh button"))
    assert 'staged services.ssh.allow = ["127.0.0.0/8", "::1"]' in notice(browser)
    assert "services.ssh.allow: [] ->" in browser.find_element(By.ID, "staged").text
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/config/commit'] button"))
    assert "committed services.ssh.allow" in notice(browser)
    browser.save_screenshot(str(tmp_path / "config.png"))

    browser.get(url(web, "/logs?log=audit&q=services.ssh.allow"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#log tr")
    assert any("admin" in row.text and "127.0.0.1" in row.text for row in rows[1:])

    submit(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button"))
    assert browser.current_url == url(web, "/login")
    browser.get(url(web, "/config"))
    assert browser.current_url == url(web, "/login")
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000
    assert (tmp_path / "config.png").stat().st_size > 10_000


def test_a_monitor_cannot_reach_the_change_form(web: Web, browser: WebDriver) -> None:
    log_in(browser, web, "watcher", MONITOR_PASSWORD)
    browser.get(url(web, "/config"))
    assert "Accounts" in browser.page_source
    assert browser.find_elements(By.CSS_SELECTOR, "form.change") == []
    forms = browser.find_elements(By.CSS_SELECTOR, "form[method='post']")
    assert [form.get_attribute("action") for form in forms] == [url(web, "/logout")]


def test_wrong_passwords_lock_out_as_on_ssh(tmp_path: Path, browser: WebDriver) -> None:
    web = boot_web(tmp_path)
    try:
        for _ in range(5):
            log_in(browser, web, "admin", "not the password")
            assert "Login incorrect." in browser.page_source
        log_in(browser, web, "admin", ADMIN_PASSWORD)
        assert browser.current_url == url(web, "/login")
        assert "Login incorrect." in browser.page_source
        event = web.booted.wait_event("login.lockout")
        assert "127.0.0.1" in str(event)
    finally:
        web.booted.stop()
