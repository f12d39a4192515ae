"""A canary credential pushed through every surface comes out of none of them.

`test_the_canary_credential_reaches_no_surface` is the sweep: for each provider it uses
the canary as the credential everywhere it can be given (keyword settings, a TOML file's
``${VAR}``, the CLI's ``--set``, ``sandbox serve --credential``), makes providers echo it
back in error bodies, exception messages and retries, gathers every place it could
escape to (reprs, errors and their tracebacks, DEBUG logs of every logger, previews, the
CLI's stdout and stderr, the import journal's raw bytes, the report, the sandbox server's
output, the cassettes) and asserts it is in none of them.

The cassettes are also scanned for the sandbox default, recording and live credentials
and for unredacted ``Authorization``/``X-API-KEY`` headers and cookies by
``tests/cassette_tests/test_cassettes_scrubbed.py::test_no_cassette_holds_a_credential``;
the sweep only adds the canary to that scan.

The personal data ProConvey returns (``dob``, ``niNumber``) is never logged above DEBUG,
and today not at DEBUG either: no logger writes bodies.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import anyio
import httpx
import pytest

import clientbridge as cb
from clientbridge.sandbox import (
    AGENCYHANDY_COMPANY_ID,
    DEFAULT_CREDENTIALS,
    SANDBOX_SETTINGS,
    Sandbox,
)

from .cassette_support import CASSETTES, credential_setting
from .conftest import CANARY
from .import_fakes import invoke, write_csv

PROVIDERS = ("agencyhandy", "placio", "proconvey", "roostedhr")
ADA = cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com")
#: A provider that echoes the credential it was sent, in every place a body has.
ECHO_BODY = {
    "message": f"the token Bearer {CANARY} is not valid",
    "token": CANARY,
    "errors": {"email": [f"not accepted with the key {CANARY}"]},
}
LOG_FORMAT = logging.Formatter("%(levelname)s %(name)s: %(message)s")


# --------------------------------------------------------------------------- what was seen


class Surfaces:
    """Everything the sweep gathered, as bytes, by a name that says where it came from."""

    def __init__(self) -> None:
        self.seen: dict[str, bytes] = {}

    def add(self, name: str, value: object) -> None:
        if isinstance(value, bytes):
            blob = value
        elif isinstance(value, str):
            blob = value.encode("utf-8", "replace")
        else:
            blob = f"{value!r}\n{value!s}".encode("utf-8", "replace")
        key, number = name, 1
        while key in self.seen:
            number += 1
            key = f"{name} #{number}"
        self.seen[key] = blob

    def add_error(self, name: str, error: BaseException) -> None:
        """The ways an error is shown: str, repr, args, body, field errors, traceback."""
        self.add(f"{name}: str", str(error))
        self.add(f"{name}: repr", repr(error))
        self.add(f"{name}: args", repr(error.args))
        self.add(f"{name}: body", repr(getattr(error, "body", None)))
        self.add(f"{name}: errors", repr(getattr(error, "errors", None)))
        self.add(f"{name}: traceback", "".join(traceback.format_exception(error)))

    def add_file(self, name: str, path: Path) -> None:
        self.add(f"{name} ({path.name})", path.read_bytes())

    def add_files(self, name: str, paths: Iterable[Path]) -> None:
        for path in paths:
            self.add_file(name, path)

    def add_logs(self, records: Iterable[logging.LogRecord]) -> None:
        for record in records:
            self.add(f"log {record.levelname} {record.name}", LOG_FORMAT.format(record))

    def holding(self, needle: str) -> list[str]:
        """The names of the surfaces that hold ``needle``."""
        return [name for name, blob in self.seen.items() if needle.encode() in blob]


# --------------------------------------------------------------------------- scripted providers

Step = Callable[[], httpx.Response]
#: What the CLI calls for the transport of each connection: (provider, asynchronous).
Factory = Callable[[str, bool], httpx.MockTransport]


def answer(status: int, body: object = ECHO_BODY, **headers: str) -> Step:
    """An HTTP answer, by default one that echoes the canary."""
    return lambda: httpx.Response(status, json=body, headers=headers)


def fail(error: type[httpx.TransportError], message: str) -> Step:
    """A transport failure whose message is ``message`` (an echo, where it holds one)."""

    def raise_it() -> httpx.Response:
        raise error(message)

    return raise_it


class Script:
    """A mock provider answering each request with the next step (the last one repeats)."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        return step()

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)  # a sync handler serves async clients too


#: name → the error a create must raise, and what the provider does first.
SCENARIOS: Mapping[str, tuple[type[cb.ClientBridgeError], Callable[[], Sequence[Step]]]] = {
    "401 after a 429 and a refused connection": (
        cb.AuthenticationError,
        lambda: [
            answer(429, **{"Retry-After": "0"}),
            fail(httpx.ConnectError, f"refused the request with Bearer {CANARY}"),
            answer(401),
        ],
    ),
    "403": (cb.PermissionDeniedError, lambda: [answer(403)]),
    "422": (cb.ProviderError, lambda: [answer(422)]),
    "503 then 500": (cb.ProviderUnavailableError, lambda: [answer(503), answer(500)]),
    "429 with a long Retry-After": (
        cb.RateLimitedError,
        lambda: [answer(429, **{"Retry-After": "3600"})],
    ),
    "a 201 that is not JSON": (
        cb.UnexpectedResponseError,
        lambda: [lambda: httpx.Response(201, text=f"created with Bearer {CANARY}")],
    ),
    # h11's own words when a header value cannot be sent: the value, verbatim.
    "a header the HTTP layer refuses": (
        cb.TransportError,
        lambda: [fail(httpx.LocalProtocolError, f"Illegal header value {CANARY!r}")],
    ),
    "a connection reset after sending": (
        cb.TransportError,
        lambda: [fail(httpx.ReadError, f"reset after X-API-KEY: {CANARY}")],
    ),
}


def canary_settings(provider: str) -> dict[str, Any]:
    """The sandbox's settings for ``provider`` with the canary as the credential."""
    return {**SANDBOX_SETTINGS[provider], credential_setting(provider): CANARY}


def library_settings(provider: str) -> dict[str, Any]:
    """As `canary_settings`, with AgencyHandy's company configured: the first request a
    create sends is then the create itself, which the scripts answer."""
    extra = {"company_id": AGENCYHANDY_COMPANY_ID} if provider == "agencyhandy" else {}
    return {**canary_settings(provider), **extra}


def canary_sandbox(provider: str) -> Sandbox:
    """A sandbox whose ``provider`` accepts the canary (and nothing else)."""
    return Sandbox(credentials={provider: CANARY}, seed=7)


def check_echo_arrived(error: cb.ClientBridgeError) -> None:
    """The echo reached the error (masked or not: the sweep judges that), so the scenario
    did what it says."""
    if isinstance(error, cb.ProviderError) and error.body is not None:
        assert "the token Bearer" in repr(error.body), repr(error)
    if isinstance(error, cb.TransportError):
        assert "Illegal header value" in str(error) or "reset after" in str(error), str(error)


# --------------------------------------------------------------------------- the library


def secret_surfaces(seen: Surfaces) -> None:
    secret = cb.Secret(CANARY)
    seen.add(
        "Secret formatted",
        [f"{secret}", f"{secret!r}", f"{secret:>40}", "%s %r" % (secret, secret)],  # noqa: UP031
    )
    seen.add("Secret in str.format", "{} {!r}".format(secret, secret))  # noqa: UP032
    seen.add("Secret in json.dumps(default=str)", json.dumps({"key": secret}, default=str))
    with pytest.raises(TypeError) as caught:
        pickle.dumps(secret)
    seen.add_error("pickling a Secret", caught.value)


def connection_surfaces(
    seen: Surfaces, name: str, conn: cb.Connection | cb.AsyncConnection
) -> None:
    seen.add(f"{name}: connection", conn)
    seen.add(f"{name}: adapter", conn.adapter)
    seen.add(f"{name}: settings", conn.adapter.settings)
    seen.add(f"{name}: secrets", conn.adapter.secrets())
    seen.add(f"{name}: options", conn.options)
    seen.add(f"{name}: driver", [conn.driver, vars(conn.driver)])
    plan = conn.preview(ADA)
    seen.add(f"{name}: preview", plan)
    seen.add(f"{name}: preview headers", [dict(request.headers) for request in plan])
    seen.add(f"{name}: preview as JSON", json.dumps([r.json for r in plan], default=str))
    prepared = conn.adapter.prepare(0, ADA, "warn")
    seen.add(
        f"{name}: planned requests (secrets unrevealed)", conn.adapter.preview_requests([prepared])
    )


def sync_surfaces(seen: Surfaces, provider: str) -> None:
    settings = library_settings(provider)
    with cb.connect(
        provider, transport=canary_sandbox(provider).transport(provider), **settings
    ) as conn:
        connection_surfaces(seen, "sync", conn)
        result = conn.create(ADA)
        seen.add("sync: created", result)
        with pytest.raises(cb.ValidationError) as invalid:
            conn.create(cb.Client(first_name="No", last_name="Email", email="not-an-email"))
        seen.add_error("sync: ValidationError", invalid.value)
    with cb.connect(provider, on_unsupported="error", sandbox=True, **settings) as conn:
        with pytest.raises(cb.UnsupportedFeatureError) as unsupported:
            conn.create(
                cb.Client(
                    first_name="A",
                    last_name="B",
                    email="a@example.com",
                    lead=True,
                    title="Dr",
                    avatar_url="https://example.com/a.png",
                    source="web",
                    company_name="Acme",
                    custom_fields={"k": "v"},
                )
            )
        seen.add_error("sync: UnsupportedFeatureError", unsupported.value)
    for scenario, (expected, steps) in SCENARIOS.items():
        with cb.connect(provider, transport=Script(*steps()).transport(), **settings) as conn:
            with pytest.raises(expected) as caught:
                conn.create(ADA)
        check_echo_arrived(caught.value)
        seen.add_error(f"sync {scenario}", caught.value)
    with cb.connect(provider, transport=Script(answer(401)).transport(), **settings) as conn:
        batch = conn.create_many([ADA, cb.Client(first_name="X", email="bad")])
    assert len(batch.failed) == 2
    seen.add("sync: create_many failures", batch)


async def async_surfaces(seen: Surfaces, provider: str) -> None:
    settings = library_settings(provider)
    transport = canary_sandbox(provider).transport(provider, asynchronous=True)
    async with cb.connect_async(provider, transport=transport, **settings) as conn:
        connection_surfaces(seen, "async", conn)
        seen.add("async: created", await conn.create(ADA))
    for scenario, (expected, steps) in SCENARIOS.items():
        async with cb.connect_async(
            provider, transport=Script(*steps()).transport(), **settings
        ) as conn:
            with pytest.raises(expected) as caught:
                await conn.create(ADA)
        check_echo_arrived(caught.value)
        seen.add_error(f"async {scenario}", caught.value)
    script = Script(answer(429, **{"Retry-After": "0"}), answer(422))
    async with cb.connect_async(provider, transport=script.transport(), **settings) as conn:
        batch = await conn.create_many(
            [ADA, cb.Client(first_name="Bo", last_name="Li", email="bo@example.com")]
        )
    assert len(batch.failed) == 2
    seen.add("async: create_many failures", batch)


def configuration_error_surfaces(seen: Surfaces, provider: str) -> None:
    """Settings refused before anything is sent: the canary is never quoted back."""
    setting = credential_setting(provider)
    settings = canary_settings(provider)
    refused = {
        "a credential with a line break": {setting: CANARY + "\nX-Injected: 1"},
        "a credential that is not ASCII": {setting: CANARY + "é"},
        "an unknown setting beside the credential": {f"{setting}_typo": CANARY},
        "a bad timeout beside the credential": {"timeout": "soon"},
        "a base_url carrying the credential": {"base_url": f"https://user:{CANARY}@example.com"},
        "a non-https base_url carrying the credential": {
            "base_url": f"ftp://user:{CANARY}@h.example"
        },
    }
    for what, change in refused.items():
        with pytest.raises(cb.ConfigurationError) as caught:
            cb.connect(provider, **{**settings, **change})
        seen.add_error(f"ConfigurationError: {what}", caught.value)


# --------------------------------------------------------------------------- the config file


def config_surfaces(
    seen: Surfaces, provider: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A TOML file reading the canary from ``${VAR}``; returns the good file."""
    monkeypatch.setenv("CLIENTBRIDGE_TEST_CANARY", CANARY)
    setting = credential_setting(provider)
    others = {key: value for key, value in SANDBOX_SETTINGS[provider].items() if key != setting}

    def write(name: str, credential_line: str, *extra: str) -> Path:
        lines = [
            "[connections.main]",
            f"provider = {json.dumps(provider)}",
            credential_line,
            *(f"{key} = {json.dumps(value)}" for key, value in others.items()),
            "sandbox = true",
            *extra,
        ]
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    good = write("clientbridge.toml", f'{setting} = "${{CLIENTBRIDGE_TEST_CANARY}}"')
    config = cb.load_config(good)
    seen.add("config", config)
    seen.add("config connection", config["main"])
    seen.add("config settings", config["main"].settings)
    transport = canary_sandbox(provider).transport(provider)
    with config.connect("main", transport=transport) as conn:
        seen.add("config connection created", conn.create(ADA))
        seen.add("config connection", conn)
    with config.connect("main") as conn:  # the built-in sandbox, which refuses the canary
        with pytest.raises(cb.AuthenticationError) as caught:
            conn.create(ADA)
    seen.add_error("config: the sandbox refuses the canary", caught.value)

    refused = {
        "an unknown key": write("typo.toml", f'{setting}_typo = "${{CLIENTBRIDGE_TEST_CANARY}}"'),
        "a credential that is not ASCII": write(
            "ascii.toml", f'{setting} = "${{CLIENTBRIDGE_TEST_CANARY}}é"'
        ),
        "a bad timeout": write(
            "timeout.toml", f'{setting} = "${{CLIENTBRIDGE_TEST_CANARY}}"', 'timeout = "soon"'
        ),
    }
    for what, path in refused.items():
        with pytest.raises(cb.ConfigurationError) as refusal:
            cb.load_config(path)
        seen.add_error(f"config error: {what}", refusal.value)
    # A missing variable fails the connection that needs it, when it is used.
    missing = write(
        "missing.toml", f'{setting} = "${{CLIENTBRIDGE_TEST_CANARY}}${{CB_NOT_SET_ANYWHERE}}"'
    )
    partial = cb.load_config(missing)
    seen.add("config with a missing variable", partial["main"])
    seen.add("config settings with a missing variable", partial["main"].settings)
    with pytest.raises(cb.ConfigurationError) as refusal:
        partial.connect("main", sandbox=False)
    seen.add_error("config error: a missing variable", refusal.value)
    return good


# --------------------------------------------------------------------------- the CLI


class EchoingSandbox:
    """The CLI's transport factory: a sandbox that accepts the canary, and answers rows
    whose email names a marker the way a hostile provider would, echoing the credential.

    ``busy@`` gets a 429 once and ``refused@`` a refused connection once (both retried),
    ``invalid@`` a 422, ``reset@`` a connection reset after sending, ``auth@`` a 401;
    every request also snapshots the journal's files (the WAL is merged away on close).
    """

    ONCE = {
        b"busy@": answer(429, **{"Retry-After": "0"}),
        b"refused@": fail(httpx.ConnectError, f"refused the request with Bearer {CANARY}"),
    }
    RESET = fail(httpx.ReadError, f"reset after X-API-KEY: {CANARY}")
    ALWAYS = {b"invalid@": answer(422), b"reset@": RESET, b"auth@": answer(401)}

    def __init__(self, provider: str, seen: Surfaces, journal: Path) -> None:
        self.sandbox = canary_sandbox(provider)
        self.seen = seen
        self.journal = journal
        self.answered: set[bytes] = set()
        self.requests = 0

    def scripted(self, request: httpx.Request) -> Step | None:
        self.requests += 1
        self.seen.add_files(
            "journal during the import", self.journal.parent.glob(self.journal.name + "*")
        )
        for marker, step in self.ONCE.items():
            if marker in request.content and marker not in self.answered:
                self.answered.add(marker)
                return step
        return next(
            (step for marker, step in self.ALWAYS.items() if marker in request.content), None
        )

    def __call__(self, provider: str, asynchronous: bool) -> httpx.MockTransport:
        inner = self.sandbox.transport(provider, asynchronous=asynchronous)
        if not asynchronous:

            def handle(request: httpx.Request) -> httpx.Response:
                step = self.scripted(request)
                return step() if step else inner.handle_request(request)

            return httpx.MockTransport(handle)

        async def handle_async(request: httpx.Request) -> httpx.Response:
            step = self.scripted(request)
            return step() if step else await inner.handle_async_request(request)

        return httpx.MockTransport(handle_async)


def always(step: Step) -> Factory:
    """A transport factory whose connections all get ``step``, every time."""
    return lambda provider, asynchronous: Script(step).transport()


def cli_surfaces(seen: Surfaces, provider: str, tmp_path: Path, config: Path) -> None:
    """Every command, with the canary given as ``--set``, run in process; ``None`` as the
    transport factory is the CLI's own: ``--sandbox``'s emulator, which refuses it."""
    setting = credential_setting(provider)
    target = ["--provider", provider, "--sandbox", "--set", f"{setting}={CANARY}"]
    from_file = ["-c", "main", "--config", str(config)]
    # The sandbox refuses an email it already holds: each create is someone else.
    ada, bo, cy = (
        ["--first-name", first, "--last-name", "Row", "--email", f"{first}@example.com"]
        for first in ("Ada", "Bo", "Cy")
    )
    journal = tmp_path / "journal.sqlite"
    report = tmp_path / "report.csv"
    factory = EchoingSandbox(provider, seen, journal)
    words = ("ok", "busy", "refused", "invalid", "reset")
    rows = [["first_name", "last_name", "email"]]
    rows += [[word.title(), "Row", f"{word}@example.com"] for word in words]
    rows += [["Bad", "Row", "not-an-email"], ["Auth", "Row", "auth@example.com"]]
    clients = str(write_csv(tmp_path / "clients.csv", rows))
    quiet = ["--progress", "none"]
    plain = ["--progress", "plain", "--progress-interval", "0"]  # progress lines too
    files = ["--journal", str(journal), "--report", str(report)]
    # The echoed 401 of the last row refuses the target (exit 2), unless AgencyHandy's
    # one bulk request already failed as a whole (exit 1).
    with cb.connect(provider, sandbox=True) as conn:
        checkable = conn.check_credentials().checked
    runs: list[tuple[str, list[str], Factory | None, set[int]]] = [
        ("create", ["create", *target, *ada], factory, {0}),
        ("create -o json", ["create", *target, *bo, "-o", "json"], factory, {0}),
        ("create -c", ["create", *from_file, *cy], factory, {0}),
        ("create answered 401", ["create", *target, *ada], always(answer(401)), {1}),
        ("create reset", ["create", *target, *ada], always(EchoingSandbox.RESET), {1}),
        ("create in the built-in sandbox", ["create", *target, *ada], None, {1}),
        ("preview", ["preview", *target, *ada], factory, {0}),
        ("preview -o json", ["preview", *target, *ada, "-o", "json"], factory, {0}),
        (
            "import --dry-run",
            ["import", clients, *target, "--dry-run", "--show", "all", *quiet],
            factory,
            {1},
        ),
        (
            "import -vv",
            ["-vv", "import", clients, *target, "--concurrency", "1", *files, *plain],
            factory,
            {1, 2},
        ),
        ("import in the built-in sandbox", ["import", clients, *target, *quiet], None, {2}),
        ("check", ["check", *target], factory, {0}),
        ("check -c", ["check", *from_file], factory, {0}),
        (
            "check answered 401",
            ["check", *target],
            always(answer(401)),
            {1} if checkable else {0},  # the others cannot be checked
        ),
        # Typos that put the credential where an option's name was expected.
        ("--set KEY:VALUE", ["preview", *target[:4], f"{setting}:{CANARY}", *ada], None, {2}),
        ("--set KEY VALUE", ["preview", *target[:4], setting, CANARY, *ada], None, {2}),
    ]
    for name, args, transport, exit_codes in runs:
        result = invoke(args, transport)
        seen.add(f"CLI {name}: stdout", result.stdout)
        seen.add(f"CLI {name}: stderr", result.stderr)
        assert result.exit_code in exit_codes, (name, result.output)
        if not isinstance(result.exception, SystemExit | None):
            seen.add_error(f"CLI {name}: exception", result.exception)
    assert factory.requests >= len(words)
    seen.add_files("journal", tmp_path.glob("journal.sqlite*"))
    seen.add_file("report", report)
    outcomes = report.read_text(encoding="utf-8")
    assert "failed" in outcomes, outcomes
    assert "the token Bearer" in outcomes, outcomes  # an echo reached the report


def read_lines(stream: IO[str], count: int, timeout: float) -> list[str]:
    """Up to ``count`` lines from ``stream``: fewer when ``timeout`` (seconds) runs out.

    A thread reads, so a server that never speaks fails the test instead of hanging it
    (a SIGALRM deadline would cancel pytest-timeout's own alarm).
    """
    lines: list[str] = []

    def read() -> None:
        for _ in range(count):
            lines.append(stream.readline())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    return list(lines)


def served_surfaces(seen: Surfaces, provider: str) -> None:
    """``clientbridge sandbox serve --credential CANARY``: its announcement and output,
    with a create that it accepts and one with a wrong credential it refuses."""
    command = [sys.executable, "-m", "clientbridge.cli", "sandbox", "serve", "-p", provider]
    command += ["--credential", CANARY]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as server:
        assert server.stdout is not None
        try:
            announcement = "".join(read_lines(server.stdout, 5, timeout=30))
            match = re.search(r"base_url: (http://127\.0\.0\.1:\d+\S*)", announcement)
            assert match, announcement
            settings = {**canary_settings(provider), "base_url": match.group(1), "timeout": 5}
            with cb.connect(provider, **settings) as conn:
                seen.add("served: created", conn.create(ADA))
            wrong = {**settings, credential_setting(provider): DEFAULT_CREDENTIALS[provider]}
            with cb.connect(provider, **wrong) as conn:
                with pytest.raises(cb.AuthenticationError) as caught:
                    conn.create(ADA)
            seen.add_error("served: a wrong credential", caught.value)
        finally:
            server.terminate()
            stdout, stderr = server.communicate(timeout=10)
    seen.add("sandbox serve: stdout", announcement + stdout)
    seen.add("sandbox serve: stderr", stderr)
    assert "credential: " in announcement


# --------------------------------------------------------------------------- the sweep


@pytest.mark.usefixtures("no_sleep")
@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_canary_credential_reaches_no_surface(
    provider: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: clientbridge, httpx, httpcore
    caplog.set_level(logging.DEBUG, logger="clientbridge")  # restored after the CLI's -vv
    seen = Surfaces()
    secret_surfaces(seen)
    sync_surfaces(seen, provider)
    anyio.run(async_surfaces, seen, provider)
    configuration_error_surfaces(seen, provider)
    config = config_surfaces(seen, provider, tmp_path, monkeypatch)
    cli_surfaces(seen, provider, tmp_path, config)
    served_surfaces(seen, provider)
    seen.add_files("cassette", sorted(path for path in CASSETTES.rglob("*") if path.is_file()))
    seen.add_logs(caplog.records)

    messages = [record.getMessage() for record in caplog.records]
    assert any("retry 1 of" in message for message in messages)  # retries were logged
    assert any(
        record.levelno == logging.DEBUG and "HTTP" in record.getMessage()
        for record in caplog.records
    )
    leaks = seen.holding(CANARY)
    assert leaks == [], "the canary leaked through:\n  " + "\n  ".join(leaks)


# --------------------------------------------------------------------------- personal data

DOB = "1815-12-10"
NI_NUMBER = "QQ123456C"
PERSONAL = {"dob": DOB, "niNumber": NI_NUMBER}


def proconvey_record(request: httpx.Request) -> dict[str, object]:
    return {
        "id": "0f8d2c1e-0000-4000-8000-000000000001",
        "status": "Active",
        **json.loads(request.content),
        **PERSONAL,
    }


def personal_data_flows(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """ProConvey answers carrying a dob and an NI number, through every path that logs:
    a create, retries of a 429/503 whose bodies carry them, a 409 and a 2xx without an
    id, sync and async, and the CLI with -vv."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="clientbridge")
    settings = canary_settings("proconvey")

    def created(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json=proconvey_record(request))

    def busy(request: httpx.Request) -> httpx.Response:
        body = {"message": "slow down", **PERSONAL}
        return httpx.Response(429, json=body, headers={"Retry-After": "0"})

    def duplicate(request: httpx.Request) -> httpx.Response:
        return httpx.Response(409, json={"message": "exists", "client": PERSONAL, **PERSONAL})

    def no_id(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json={"status": "Active", **PERSONAL})

    def sequence(*handlers: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
        queue = list(handlers)
        return httpx.MockTransport(
            lambda request: (queue.pop(0) if len(queue) > 1 else queue[0])(request)
        )

    with cb.connect("proconvey", transport=sequence(busy, created), **settings) as conn:
        assert conn.create(ADA).raw["niNumber"] == NI_NUMBER  # the caller gets it, untouched
    for handler in (duplicate, no_id):
        with cb.connect("proconvey", transport=sequence(busy, handler), **settings) as conn:
            with pytest.raises(cb.ProviderError):
                conn.create(ADA)

    async def run_async() -> None:
        async with cb.connect_async(
            "proconvey", transport=sequence(busy, created), **settings
        ) as conn:
            await conn.create(ADA)
            await conn.create_many([ADA, ADA])

    anyio.run(run_async)
    target = ["--provider", "proconvey", "--sandbox", "--set", f"api_key={CANARY}"]
    ada = ["--first-name", "Ada", "--last-name", "Lovelace", "--email", "ada@example.com"]
    result = invoke(
        ["-vv", "create", *target, *ada], lambda provider, asynchronous: sequence(busy, created)
    )
    assert result.exit_code == 0, result.output
    records = list(caplog.records)
    assert any("retry 1 of" in record.getMessage() for record in records)
    return records


def holding_personal_data(records: Iterable[logging.LogRecord]) -> list[str]:
    return [
        LOG_FORMAT.format(record)
        for record in records
        if DOB in LOG_FORMAT.format(record) or NI_NUMBER in LOG_FORMAT.format(record)
    ]


@pytest.mark.usefixtures("no_sleep")
def test_personal_data_from_proconvey_is_never_logged_above_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    records = personal_data_flows(caplog)
    assert any(record.levelno > logging.DEBUG for record in records)
    assert holding_personal_data(r for r in records if r.levelno > logging.DEBUG) == []


@pytest.mark.usefixtures("no_sleep")
def test_personal_data_from_proconvey_is_not_logged_at_debug_either(
    caplog: pytest.LogCaptureFixture,
) -> None:
    records = personal_data_flows(caplog)
    assert any(record.levelno == logging.DEBUG for record in records)
    assert holding_personal_data(records) == []
