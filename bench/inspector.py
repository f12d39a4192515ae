"""The sandbox inspector: what its log costs the server, how the page holds up at 1,000 and
10,000 requests, and how soon a client shows.

1. The event log's cost per request: a RoostedHR create answered in process by the
   sandbox alone (`Sandbox.handle`) and by the server's router, which also logs it
   (`Site.handle`), interleaved in blocks; CPU time, not wall time.
2. The page at 1,000 and 10,000 requests (a mix of creates, duplicates refused with a
   200, validation failures and look-ups across every emulator, sent through the router):
   the page's weight (HTML, and the script and style it loads once), its DOM nodes, its
   first contentful paint in headless chromium, and the server's time per live update
   (one new request, then the state the page asks for: the windows it shows), median of
   20. The first view after all the requests arrived unseen is given too (it masks and
   indexes every event once).
3. Create to visible: ``clientbridge sandbox serve --all`` in its own process, the page
   open in headless chromium; each round creates a new client through the library and
   times from ``create()`` returning to its row being in the page (pushed by server-sent
   events).

    .venv/bin/python bench/inspector.py [--creates 2000] [--rounds 20] [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from _common import ROOT, machine_note, row

import clientbridge as cb
from clientbridge.sandbox import Sandbox, running_server
from clientbridge.sandbox._site import Site
from clientbridge.sandbox.emulators import EMULATORS
from clientbridge.sandbox.emulators.agencyhandy import COMPANY_ID
from clientbridge.sandbox.emulators.base import SandboxRequest
from clientbridge.sandbox.emulators.placio import WORKSPACE_ID
from clientbridge.sandbox.server import SandboxServer

BLOCK = 100
PROVIDER = "roostedhr"
HOST = ("Host", "127.0.0.1")


def request(index: int, credential: str) -> SandboxRequest:
    body = (
        f'{{"client_name":"Acme {index}","client_contact_name":"Ada Lovelace",'
        f'"client_contact_email":"ada{index}@example.com"}}'
    ).encode()
    headers = [HOST, ("X-API-KEY", credential), ("Content-Type", "application/json")]
    return SandboxRequest("POST", "/api/1_12/clients", headers, body)


def log_cost(creates: int) -> tuple[float, float]:
    """CPU microseconds per create: the sandbox alone, and routed and logged by the site
    (CPU time of this thread, so other processes on the machine count for little)."""
    sandbox_only = Sandbox(retain_records=False)
    site = Site(Sandbox(retain_records=False), [PROVIDER], prefixed=False)
    key = sandbox_only.credential(PROVIDER)
    plain: list[float] = []
    logged: list[float] = []
    for start in range(0, creates, BLOCK):
        began = time.thread_time()
        for index in range(start, start + BLOCK):
            sandbox_only.handle(PROVIDER, request(index, key))
        plain.append(time.thread_time() - began)
        began = time.thread_time()
        for index in range(start, start + BLOCK):
            site.handle(request(index, key))
        logged.append(time.thread_time() - began)
    return statistics.median(plain) / BLOCK * 1e6, statistics.median(logged) / BLOCK * 1e6


# ----------------------------------------------------------------- the page at scale


def mixed_request(index: int, server: SandboxServer) -> SandboxRequest:
    """Request ``index`` of a realistic session: creates everywhere (every fifth email
    sent before, so some are refused), validation failures and look-ups."""
    email = f"client{index - index % 5 if index % 5 == 4 else index}@example.com"
    credential = {name: server.endpoints[name].credential for name in server.endpoints}
    kind = index % 6
    if kind == 0:
        entry = {"firstName": "Ada", "lastName": f"N{index}", "email": email}
        body: Any = [{**entry, "isConvertedClient": False}]
        headers = [("x-api-key", credential["agencyhandy"]), ("companyId", COMPANY_ID)]
        return _json("POST", "/agencyhandy/members/bulk-client", headers, body)
    if kind == 1:
        headers = [("x-api-key", credential["agencyhandy"])]
        return _json("GET", "/agencyhandy/accounts/companies", headers, None)
    if kind == 2:
        methods = [{"type": "email", "value": email, "isPreferred": index % 7 != 0}]
        body = {"name": f"Client {index}", "contactMethods": methods}
        headers = [("Authorization", f"Bearer {credential['placio']}")]
        return _json("POST", f"/placio/v1/workspace/{WORKSPACE_ID}/clients", headers, body)
    if kind == 3:
        body = {"firstName": "Ada", "lastName": f"N{index}", "emailAddress": email}
        headers = [("Authorization", f"Bearer {credential['proconvey']}")]
        return _json("POST", "/proconvey/api/v2/clients", headers, body)
    body = {"client_name": f"Org {index}", "client_contact_email": email}
    headers = [("X-API-KEY", credential["roostedhr"])]
    return _json("POST", "/roostedhr/api/1_12/clients", headers, body)


def _json(method: str, path: str, headers: list[tuple[str, str]], body: Any) -> SandboxRequest:
    data = b"" if body is None else json.dumps(body).encode()
    sent = [HOST, ("Content-Type", "application/json"), *headers]
    return SandboxRequest(method, path, sent, data)


def _state(server: SandboxServer) -> float:
    """Seconds the server takes to answer the page's ask for its windows."""
    asked = SandboxRequest("GET", "/_sandbox/inspector/state?version=", [HOST])
    began = time.perf_counter()
    reply = server.site.handle(asked)
    elapsed = time.perf_counter() - began
    assert reply.status == 200, reply.status
    return elapsed


def page_at(size: int, page: Any) -> dict[str, float]:
    """The page's figures with ``size`` requests logged."""
    with running_server(list(EMULATORS), retain_records=True) as server:
        for index in range(size):
            server.site.handle(mixed_request(index, server))
        first_view = _state(server)
        updates = []
        for index in range(size, size + 20):
            server.site.handle(mixed_request(index, server))
            updates.append(_state(server))
        html = httpx.get(server.url, timeout=30).content
        assets = sum(
            len(httpx.get(f"{server.url}_sandbox/inspector/static/{name}", timeout=30).content)
            for name in ("inspector.js", "inspector.css", "favicon.svg")
        )
        page.get("about:blank")
        page.get(server.url)
        time.sleep(0.5)
        paint = page.execute_script(
            "var e = performance.getEntriesByName('first-contentful-paint')[0];"
            "return e ? e.startTime : null;"
        )
        nodes = page.execute_script("return document.getElementsByTagName('*').length")
    return {
        "html_kb": len(html) / 1024,
        "assets_kb": assets / 1024,
        "nodes": nodes,
        "paint_ms": paint,
        "first_view_ms": first_view * 1000,
        "update_ms": statistics.median(updates) * 1000,
        "update_max_ms": max(updates) * 1000,
    }


# ----------------------------------------------------------------- create to visible


@contextmanager
def headless_chromium() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver_path is None:
        raise SystemExit("install Debian's chromium and chromium-driver first")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    page = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield page
    finally:
        page.quit()


def create_to_visible(rounds: int, page: Any) -> list[float]:
    from selenium.webdriver.support.ui import WebDriverWait

    process = subprocess.Popen(
        [sys.executable, "-m", "clientbridge.cli", "sandbox", "serve", "--all"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    output = process.stdout
    assert output is not None
    threading.Thread(target=lambda: [lines.put(line) for line in output], daemon=True).start()
    try:
        banner = []
        while not (banner and banner[-1].startswith("# end of clientbridge.toml")):
            banner.append(lines.get(timeout=30))
        text = "".join(banner)
        url = next(line.split()[1] for line in banner if line.startswith("inspector: "))
        config_file = Path(tempfile.mkdtemp()) / "clientbridge.toml"
        config_file.write_text(text[text.index("[connections.") :], encoding="utf-8")
        config = cb.load_config(config_file)
        name = config.names()[-1]
        page.get(url)
        delays = []
        with config.connect(name) as conn:
            for index in range(rounds):
                email = f"round{index}@example.com"
                conn.create(cb.Client(company_name=f"Acme {index}", email=email))
                created = time.perf_counter()
                WebDriverWait(page, 10, poll_frequency=0.005).until(
                    lambda browser, email=email: browser.find_elements(
                        "css selector", f'tr[data-client="{email}"]'
                    )
                )
                delays.append(time.perf_counter() - created)
                time.sleep(0.137 * (index % 4))  # land at different points of the push cycle
        return delays
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    arguments = parser.parse_args()
    plain, logged = log_cost(arguments.creates)
    with headless_chromium() as page:
        pages = {size: page_at(size, page) for size in arguments.sizes}
        delays = create_to_visible(arguments.rounds, page)
    print(f"machine: {machine_note()}")
    print(row("measure", "value"))
    print(row("---", "---"))
    print(row("sandbox alone, CPU µs per create (in process)", f"{plain:.1f}"))
    print(row("routed and logged for the inspector, CPU µs per create", f"{logged:.1f}"))
    print(row("the log's cost, CPU µs per create", f"{logged - plain:.1f}"))
    print(
        row(
            f"create to visible in the page, median of {len(delays)}",
            f"{statistics.median(delays) * 1000:.0f} ms",
        )
    )
    print(row("create to visible, slowest", f"{max(delays) * 1000:.0f} ms"))
    print()
    sizes = list(pages)
    print(row("requests logged", *(f"{size:,}" for size in sizes)))
    print(row("---", *("---" for _ in sizes)))
    figures = (
        ("page HTML (KB)", "html_kb", "{:.0f}"),
        ("script, style and icon, loaded once (KB)", "assets_kb", "{:.0f}"),
        ("DOM nodes", "nodes", "{:,}"),
        ("first contentful paint (ms)", "paint_ms", "{:.0f}"),
        ("server time per live update, median of 20 (ms)", "update_ms", "{:.1f}"),
        ("server time per live update, slowest of 20 (ms)", "update_max_ms", "{:.1f}"),
        ("first view after every request arrived unseen (ms)", "first_view_ms", "{:.0f}"),
    )
    for label, key, shape in figures:
        print(row(label, *(shape.format(pages[size][key]) for size in sizes)))


if __name__ == "__main__":
    main()
