"""The sandbox inspector: what its log costs the server, and how soon a client shows.

1. The event log's cost per request: a RoostedHR create answered in process by the
   sandbox alone (`Sandbox.handle`) and by the server's router, which also logs it
   (`Site.handle`), interleaved in blocks; CPU time, not wall time.
2. Create to visible: ``clientbridge sandbox serve --all`` in its own process, the page
   open in headless chromium (Debian's, through its chromedriver); each round creates a
   new client through the library and times from ``create()`` returning to its row being
   in the page. Target: within a second (the page asks twice a second).

    .venv/bin/python bench/inspector.py [--creates 2000] [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import ROOT, machine_note, row

import clientbridge as cb
from clientbridge.sandbox import Sandbox
from clientbridge.sandbox._site import Site
from clientbridge.sandbox.emulators.base import SandboxRequest

BLOCK = 100
PROVIDER = "roostedhr"


def request(index: int, credential: str) -> SandboxRequest:
    body = (
        f'{{"client_name":"Acme {index}","client_contact_name":"Ada Lovelace",'
        f'"client_contact_email":"ada{index}@example.com"}}'
    ).encode()
    headers = [("X-API-KEY", credential), ("Content-Type", "application/json")]
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


def create_to_visible(rounds: int) -> list[float]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    browser, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver_path is None:
        raise SystemExit("install Debian's chromium and chromium-driver first")
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
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    page = None
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
        page = webdriver.Chrome(options=options, service=Service(driver_path))
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
                time.sleep(0.137 * (index % 4))  # land at different points of the poll cycle
        return delays
    finally:
        if page is not None:
            page.quit()
        process.terminate()
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=20)
    arguments = parser.parse_args()
    plain, logged = log_cost(arguments.creates)
    delays = create_to_visible(arguments.rounds)
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


if __name__ == "__main__":
    main()
