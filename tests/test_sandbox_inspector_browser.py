"""The inspector in a real browser: Debian's chromium, driven through its chromedriver.

The tests start ``clientbridge sandbox serve --all`` as a subprocess on a free loopback
port, create clients through the library with the config file it prints, and read what
the page shows. Under CI a missing browser fails; elsewhere these tests are skipped.
With ``CLIENTBRIDGE_SCREENSHOTS=DIR`` set, the tests also save one screenshot per view
there (the ones in ``docs/`` come from this).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import clientbridge as cb
from clientbridge.sandbox.emulators import EMULATORS

from .sandbox_process import Banner, serve_all

TIMEOUT = 10.0


def _browser_or_reason() -> tuple[str, str] | str:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (it is in the dev extra)"
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver is None:
        return "Debian's chromium and chromium-driver are not installed (.ci/run installs them)"
    return browser, driver


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    found = _browser_or_reason()
    if isinstance(found, str):
        if os.environ.get("CI") == "true":
            pytest.fail(f"the inspector's browser tests must run in CI: {found}")
        pytest.skip(found)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,1400",
    ):
        options.add_argument(argument)
    # The driver's path is given: Selenium Manager would try to download one.
    driver = webdriver.Chrome(options=options, service=Service(found[1]))
    driver.set_page_load_timeout(TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()


class Served:
    """``clientbridge sandbox serve --all`` running, and what its banner said."""

    def __init__(self, banner: Banner, config_path: Path) -> None:
        self.url = banner.inspector_url
        config_path.write_text(banner.config_toml, encoding="utf-8")
        self.config = cb.load_config(config_path)
        self.credentials = [
            line.split(" = ", 1)[1].strip('"')
            for line in banner.text.splitlines()
            if line.startswith(("api_key = ", "token = "))
        ]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_all() as banner:
        yield Served(banner, tmp_path_factory.mktemp("inspector") / "clientbridge.toml")


def client(email: str) -> cb.Client:
    return cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        email=email,
        phone="+44 7911 123456",
        company_name="Analytical Engines Ltd",
        address=cb.Address(line1="1 Main St", city="London", postal_code="SW1A 1AA", country="GB"),
    )


def wait_for(browser: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, TIMEOUT).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def wait_for_text(browser: Any, css: str, text: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, TIMEOUT).until(
        expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, css), text)
    )


def screenshot(browser: Any, section: str, name: str) -> None:
    folder = os.environ.get("CLIENTBRIDGE_SCREENSHOTS")
    if folder:
        element = browser.find_element("id", section)
        browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", element)
        time.sleep(0.6)  # one live update, so the picture is not taken mid-swap
        element.screenshot(str(Path(folder) / name))


def test_a_client_sent_to_three_back_offices_is_one_row_with_three_cells(
    browser: Any, served: Served
) -> None:
    browser.get(served.url)
    wait_for(browser, "#live")
    names = list(served.config.names())[:3]
    for name in names:
        with served.config.connect(name, timeout=TIMEOUT) as conn:
            conn.create(client("fanout@example.com"))
    # The page was loaded before the creates: the row arrives by the live updates.
    from selenium.webdriver.support.ui import WebDriverWait

    answered = 'tr[data-client="fanout@example.com"] td[data-status]'
    WebDriverWait(browser, TIMEOUT).until(
        lambda page: len(page.find_elements("css selector", answered)) == len(names)
    )
    row = browser.find_element("css selector", 'tr[data-client="fanout@example.com"]')
    cells = row.find_elements("css selector", "td[data-status]")
    # The printed config file names each connection for its provider.
    assert sorted(cell.get_attribute("data-provider") for cell in cells) == sorted(names)
    assert all(cell.get_attribute("data-status").startswith("20") for cell in cells)
    assert len(row.find_elements("css selector", "td.empty")) == len(EMULATORS) - 3
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
    )
    assert loaded
    assert [url for url in loaded if not url.startswith(served.url)] == []
    screenshot(browser, "clients", "inspector-clients.png")


def test_switching_faults_on_from_the_page_answers_429(browser: Any, served: Served) -> None:
    browser.get(served.url + "#faults")
    rate = wait_for(browser, "#fail-rate")
    rate.clear()
    rate.send_keys("1")
    for box in browser.find_elements("css selector", 'input[name="fault_kind"]'):
        if box.is_selected() != (box.get_attribute("value") == "rate_limited"):
            box.click()
    browser.find_element("id", "apply-settings").click()
    message = wait_for(browser, "#settings-message")
    name = next(iter(served.config.names()))
    try:
        wait_for_text(browser, "#settings-message", "faults on")
        with served.config.connect(name, timeout=TIMEOUT, max_retries=0) as conn:
            with pytest.raises(cb.RateLimitedError):
                conn.create(client("throttled@example.com"))
        row = wait_for(browser, '#requests tr[data-status="429"]')
        assert "rate_limited" in row.text
        wait_for_text(browser, f'tr[data-provider="{name}"] td[data-counter="429"]', "1")
        screenshot(browser, "faults", "inspector-faults.png")
    finally:
        rate = browser.find_element("id", "fail-rate")
        rate.clear()
        rate.send_keys("0")
        browser.find_element("id", "apply-settings").click()
        wait_for_text(browser, "#settings-message", "faults off")
    assert "faults off" in message.text


def test_the_page_masks_every_credential(browser: Any, served: Served) -> None:
    browser.get(served.url)
    wait_for(browser, "#records button.danger").click()  # clear all: only these requests
    wait_for(browser, '[data-section="requests"] .empty-note')
    for name in served.config.names():
        with served.config.connect(name, timeout=TIMEOUT) as conn:
            conn.create(client("masked@example.com"))
    browser.get(served.url)
    row = wait_for(browser, "#requests tbody tr")
    row.find_element("css selector", "summary").click()
    assert "***" in row.find_element("css selector", "pre").text
    assert len(served.credentials) == len(EMULATORS)
    source = browser.page_source
    assert [credential for credential in served.credentials if credential in source] == []
    screenshot(browser, "requests", "inspector-requests.png")


def test_the_records_filter_and_clear_all(browser: Any, served: Served) -> None:
    name = next(iter(served.config.names()))
    with served.config.connect(name, timeout=TIMEOUT) as conn:
        conn.create(client("filtered@example.com"))
    browser.get(served.url + "#records")
    field = wait_for(browser, "#records-filter")
    field.send_keys("filtered@")
    wait_for_text(browser, f'[data-section="records"] [data-provider="{name}"] h3', "1 matching")
    assert "masked@example.com" not in browser.find_element("id", "records").text
    screenshot(browser, "records", "inspector-records.png")
    browser.find_element("css selector", "button.danger").click()
    wait_for(browser, '[data-section="clients"] .empty-note')
    assert "filtered@example.com" not in browser.find_element("id", "records").text
