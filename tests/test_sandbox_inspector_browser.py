"""The inspector in a real browser: Debian's chromium, driven through its chromedriver.

The tests start ``clientbridge sandbox serve --all`` as a subprocess on a free loopback
port, create clients through the library with the config file it prints, and read what
the page shows. One browser and one server for the module. Under CI a missing browser
fails; elsewhere these tests are skipped. With ``CLIENTBRIDGE_SCREENSHOTS=DIR`` set, the
tests also save one screenshot per view there (the ones in ``docs/`` come from this).

Accessibility is checked with axe-core, vendored as ``tests/vendor/axe.min.js`` (MPL-2.0,
its licence header kept): the tests need no network and no Node.js.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import clientbridge as cb
from clientbridge.sandbox.emulators import EMULATORS

from .sandbox_process import Banner, serve_all

TIMEOUT = 10.0
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WIDE = (1280, 1400)


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
        f"--window-size={WIDE[0]},{WIDE[1]}",
    ):
        options.add_argument(argument)
    # The driver's path is given: Selenium Manager would try to download one.
    driver = webdriver.Chrome(options=options, service=Service(found[1]))
    driver.set_page_load_timeout(TIMEOUT)
    driver.set_script_timeout(TIMEOUT * 3)
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
        #: each emulator's base URL and credential, from the banner's lines
        self.endpoints = {
            words[0]: (words[1], words[-1])
            for words in (line.split() for line in banner.text.splitlines())
            if len(words) == 4 and words[2] == "credential:"
        }

    def create(self, name: str, email: str, **options: Any) -> cb.CreateResult:
        with self.config.connect(name, timeout=TIMEOUT, **options) as conn:
            return conn.create(client(email))

    def clear(self) -> None:
        response = httpx.post(
            self.url + "_sandbox/inspector/clear", data={"confirm": "yes"}, timeout=TIMEOUT
        )
        assert response.status_code == 303


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


def wait_until(browser: Any, condition: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, TIMEOUT).until(condition)


def wait_for(browser: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions

    return wait_until(
        browser, expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def wait_for_text(browser: Any, css: str, text: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions

    wait_until(
        browser, expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, css), text)
    )


def open_page(browser: Any, url: str) -> None:
    browser.get(url)
    wait_for_text(browser, "#live", "Live")


def screenshot(browser: Any, section: str, name: str) -> None:
    folder = os.environ.get("CLIENTBRIDGE_SCREENSHOTS")
    if folder:
        element = browser.find_element("id", section)
        browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", element)
        time.sleep(0.5)  # let a pushed update land, so the picture is not taken mid-swap
        element.screenshot(str(Path(folder) / name))


def axe_violations(browser: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    result = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document).then(function (r) { done(r.violations); },"
        " function (e) {"
        "  done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]);"
        "});"
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} "
        f"{[node['target'] for node in violation['nodes']][:3]}"
        for violation in result
        if violation["impact"] in ("serious", "critical")
    ]


def test_a_client_sent_to_three_back_offices_is_one_row_with_three_cells(
    browser: Any, served: Served
) -> None:
    open_page(browser, served.url)
    names = list(served.config.names())[:3]
    for name in names:
        served.create(name, "fanout@example.com")
    # The page was loaded before the creates: the row arrives by the pushed updates.
    answered = 'tr[data-client="fanout@example.com"] td[data-status]'
    wait_until(
        browser, lambda page: len(page.find_elements("css selector", answered)) == len(names)
    )
    row = browser.find_element("css selector", 'tr[data-client="fanout@example.com"]')
    cells = row.find_elements("css selector", "td[data-status]")
    assert sorted(cell.get_attribute("data-provider") for cell in cells) == sorted(names)
    assert {cell.get_attribute("data-outcome") for cell in cells} == {"created"}
    assert len(row.find_elements("css selector", "td.empty")) == len(EMULATORS) - 3
    # New requests are announced politely to screen readers.
    wait_for_text(browser, "#announcer", "new request")
    assert browser.find_element("id", "announcer").get_attribute("aria-live") == "polite"
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
    )
    assert loaded
    assert [url for url in loaded if not url.startswith(served.url)] == []
    screenshot(browser, "clients", "inspector-clients.png")


def test_a_refused_create_answered_200_shows_refused_not_ok(browser: Any, served: Served) -> None:
    name = "agencyhandy"
    served.create(name, "twice@example.com")
    with pytest.raises(cb.DuplicateClientError):
        served.create(name, "twice@example.com")
    open_page(browser, served.url)
    cell = wait_for(browser, f'tr[data-client="twice@example.com"] td[data-provider="{name}"]')
    assert cell.get_attribute("data-status") == "200"
    assert cell.get_attribute("data-outcome") == "refused"
    badge = cell.find_element("css selector", "a")
    assert badge.text == "Refused"
    assert "Client already exists" in cell.text
    # The cell opens its request below, with the answer's headers and body.
    badge.click()
    wait_for_text(browser, "#detail-body", "No client was created")
    detail = browser.find_element("id", "detail-body").text
    assert "Answer headers" in detail
    assert "Content-Type: application/json" in detail
    assert "curl -X POST" in detail
    assert not [secret for secret in served.credentials if secret in browser.page_source]
    screenshot(browser, "request-detail", "inspector-detail.png")


def test_faults_and_rate_limits_per_back_office_from_the_page(browser: Any, served: Served) -> None:
    from selenium.webdriver.support.ui import Select

    hit, spared = "placio", "proconvey"
    open_page(browser, served.url + "#faults")
    Select(browser.find_element("id", "scope")).select_by_value(hit)
    rate = browser.find_element("id", "fail-rate")
    rate.clear()
    rate.send_keys("1")
    for box in browser.find_elements("css selector", 'input[name="fault_kind"]'):
        if box.is_selected() != (box.get_attribute("value") == "rate_limited"):
            box.click()
    limit = browser.find_element("id", "rate-limit")
    limit.clear()
    limit.send_keys("100/min")
    browser.find_element("id", "apply-settings").click()
    try:
        wait_for_text(browser, "#settings-message", "Applied to Placio: faults on")
        wait_for_text(browser, f'tr[data-scope="{hit}"]', "100/min")
        with pytest.raises(cb.RateLimitedError):
            served.create(hit, "throttled@example.com", max_retries=0)
        served.create(spared, "spared@example.com")
        row = wait_for(browser, f'#requests tr[data-provider="{hit}"][data-status="429"]')
        assert "rate_limited" in row.text
        assert row.get_attribute("data-outcome") == "not_processed"
        wait_for_text(browser, f'tr[data-provider="{hit}"] td[data-counter="429"]', "1")
        # The form reflects the settings in force: loaded again, each scope shows its own.
        browser.refresh()
        wait_for_text(browser, "#live", "Live")
        assert browser.find_element("id", "fail-rate").get_attribute("value") == "0"
        Select(browser.find_element("id", "scope")).select_by_value(hit)
        assert browser.find_element("id", "fail-rate").get_attribute("value") == "1"
        assert browser.find_element("id", "rate-limit").get_attribute("value") == "100/min"
        screenshot(browser, "faults", "inspector-faults.png")
    finally:
        response = httpx.post(
            served.url + "_sandbox/inspector/settings", data={"fail_rate": "0"}, timeout=TIMEOUT
        )
        assert response.status_code == 303


def test_search_filters_the_requests(browser: Any, served: Served) -> None:
    served.create("roostedhr", "findme@example.com")
    open_page(browser, served.url)
    browser.find_element("id", "q").send_keys("FINDME@")
    wait_until(
        browser,
        lambda page: len(page.find_elements("css selector", "#requests tbody tr")) == 1,
    )
    assert "findme@example.com" in browser.find_element("css selector", "#requests tbody tr").text
    assert "q=FINDME%40" in browser.current_url
    screenshot(browser, "requests", "inspector-requests.png")


def test_a_link_to_a_request_no_longer_on_the_page_fetches_it(browser: Any, served: Served) -> None:
    served.clear()
    base, credential = served.endpoints["roostedhr"]
    with httpx.Client(timeout=TIMEOUT) as http:
        for index in range(60):
            http.post(
                f"{base}/clients",
                json={"client_name": f"Org {index}", "client_contact_email": f"n{index}@x.example"},
                headers={"X-API-KEY": credential},
            )
    open_page(browser, served.url + "?cpage=2#clients")
    assert browser.find_elements("css selector", "#requests tr#event-1") == []
    cell = wait_for(browser, 'tr[data-client="n0@x.example"] td[data-provider="roostedhr"] a')
    cell.click()
    wait_for_text(browser, "#detail-body", "n0@x.example")
    assert browser.find_element("css selector", "#detail-body article").get_attribute(
        "data-number"
    ) == cell.get_attribute("data-event")
    assert "event=" in browser.current_url


def test_keyboard_shortcuts_are_listed_and_work(browser: Any, served: Served) -> None:
    from selenium.webdriver.common.keys import Keys

    open_page(browser, served.url)
    listed = browser.find_element("id", "shortcuts").text
    assert "search the requests" in listed
    body = browser.find_element("tag name", "body")
    body.send_keys("/")
    assert browser.switch_to.active_element.get_attribute("id") == "q"
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    body.send_keys("j")
    assert "open" in (browser.switch_to.active_element.get_attribute("class") or "")
    body.send_keys("f")
    assert browser.switch_to.active_element.get_attribute("id") == "faults-title"


def test_clear_all_asks_then_resets_every_count_and_list(browser: Any, served: Served) -> None:
    served.create("placio", "cleared@example.com")
    open_page(browser, served.url + "?rq=cleared#faults")
    wait_for_text(browser, '[data-provider="placio"] h3', "1 matching")
    screenshot(browser, "records", "inspector-records.png")
    browser.find_element("id", "clear-all").click()
    dialog = wait_for(browser, "dialog#confirm-clear[open]")
    dialog.find_element("id", "confirm-no").click()
    time.sleep(0.3)
    assert browser.find_elements("css selector", '#clients tr[data-client="cleared@example.com"]')
    browser.find_element("id", "clear-all").click()
    wait_for(browser, "dialog#confirm-clear[open]").find_element("id", "confirm-yes").click()
    wait_for(browser, '[data-section="clients"] .empty-note')
    wait_for_text(browser, "#injected", "since the start (or the last clear): none")
    assert "API requests seen: 0" in browser.find_element("id", "injected").text
    stats = httpx.get(served.url + "placio/_sandbox/stats", timeout=TIMEOUT).json()
    assert (stats["requests"], stats["faults"]) == (0, {})


def test_dark_mode_narrow_screens_and_axe_core(browser: Any, served: Served) -> None:
    served.create("proconvey", "axe@example.com")
    served.create("agencyhandy", "axe@example.com")
    listing = httpx.get(served.url + "_sandbox/inspector/api/requests", timeout=TIMEOUT).json()
    newest = listing["requests"][0]["number"]
    open_page(browser, served.url + f"?event={newest}#request-detail")
    wait_for(browser, "#detail-body article")
    assert axe_violations(browser) == []
    # The check itself can fail: an unlabelled field is a critical violation.
    browser.execute_script(
        "var field = document.createElement('input'); field.id = 'unlabelled';"
        "document.getElementById('main').appendChild(field);"
    )
    assert any(violation.startswith("label ") for violation in axe_violations(browser))
    browser.execute_script("document.getElementById('unlabelled').remove();")
    assert browser.execute_script(
        "return document.querySelector('link[rel=icon]').href.endsWith('favicon.svg')"
    )
    try:
        browser.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
        )
        background = browser.execute_script(
            "return getComputedStyle(document.body).backgroundColor"
        )
        assert background == "rgb(20, 20, 20)"
        assert axe_violations(browser) == []
        browser.set_window_size(400, 900)
        open_page(browser, served.url + f"?event={newest}")
        wait_for(browser, "#detail-body article")
        overflow = browser.execute_script(
            "var d = document.documentElement; return [d.scrollWidth, d.clientWidth];"
        )
        assert overflow[0] <= overflow[1], overflow
        assert axe_violations(browser) == []
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        browser.set_window_size(*WIDE)
