"""Resume asks the provider about rows an earlier run left unknown, where it can be asked.

RoostedHR lists its clients (`RoostedHRAdapter.find_existing`): a row whose client is found
once, and claimed by no other row, is settled as created with that id instead of being left
to the user. Whatever the look-up says, it only reads: nothing is sent again on its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

import clientbridge as cb
from clientbridge.adapters.roostedhr import LIST_PAGE_SIZE
from clientbridge.sandbox import Sandbox

from .conftest import CANARY
from .import_fakes import (
    FakeRoostedHR,
    invoke,
    journal_rows,
    people,
    read_report,
    set_state,
    write_csv,
)
from .import_fakes import import_into as run


@pytest.fixture
def clients(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "clients.csv", people(5))


@pytest.fixture
def journal(clients: Path) -> Path:
    return clients.with_name("clients.csv.journal.sqlite")


def interrupted(clients: Path, journal: Path, *lines: int) -> FakeRoostedHR:
    """A provider holding every row's client, and a journal as an import killed while
    ``lines`` were in flight leaves it (``sending``, no id)."""
    fake = FakeRoostedHR()
    fake.listing = True
    run(clients, fake)
    for line in lines:
        set_state(journal, line, "sending")
    fake.requests.clear()
    return fake


def test_a_row_found_by_the_look_up_is_settled_created_with_its_id(
    clients: Path, journal: Path
) -> None:
    fake = interrupted(clients, journal, 4)
    code, rows, output = run(clients, fake)
    assert code == 0
    assert rows[2]["outcome"] == "skipped"
    assert rows[2]["id"] == "r3"
    assert "found in RoostedHR as r3 by a look-up" in rows[2]["warnings"]
    assert fake.creates == []  # only read
    assert {request.method for request in fake.requests} == {"GET"}
    assert journal_rows(journal)[4] == ("created", "r3")
    assert "Looked up 1 row" in output
    assert "1 found" in output
    code, rows, _ = run(clients, fake)  # settled for good: no second look-up
    assert (code, rows[2]["outcome"], rows[2]["id"]) == (0, "skipped", "r3")
    assert fake.creates == []


def test_a_row_the_look_up_does_not_find_after_the_settle_window_is_sent(
    clients: Path, journal: Path
) -> None:
    fake = interrupted(clients, journal, 4)
    fake.created = [record for record in fake.created if record["id"] != "r3"]  # never made
    code, rows, output = run(clients, fake, "--settle-after", "0")
    assert code == 0
    assert rows[2]["outcome"] == "created"
    assert "0 found" in output
    assert "1 row not found at the provider after the settle window: sent" in output
    assert [request.content.count(b"p3@") for request in fake.creates] == [1]


def test_several_matching_clients_leave_the_row_unknown(clients: Path, journal: Path) -> None:
    fake = interrupted(clients, journal, 4)
    twin = next(record for record in fake.created if record["id"] == "r3")
    fake.created.append({**twin, "id": "r3-twin"})  # e.g. created by hand as well
    code, rows, _ = run(clients, fake)
    assert (code, rows[2]["outcome"]) == (1, "unknown")
    assert "found 2 clients matching it (r3, r3-twin)" in rows[2]["error"]
    assert fake.creates == []


def same_client_twice(tmp_path: Path, *unknown: int) -> tuple[Path, FakeRoostedHR]:
    """Lines 2 and 3 are the same client, which the provider holds once; ``unknown``
    lines are left ``sending`` as a killed import leaves them."""
    rows = people(2)
    rows[2] = rows[1]
    clients = write_csv(tmp_path / "clients.csv", rows)
    fake = FakeRoostedHR()
    fake.listing = True
    run(clients, fake)
    fake.created = fake.created[:1]
    for line in unknown:
        set_state(clients.with_name("clients.csv.journal.sqlite"), line, "sending")
    return clients, fake


def test_a_client_another_row_holds_is_not_claimed_twice(tmp_path: Path) -> None:
    clients, fake = same_client_twice(tmp_path, 3)  # line 2 holds the client
    code, report, _ = run(clients, fake, "--settle-after", "0")
    assert code == 0
    # Line 3's request never arrived: the file asks for the client twice, so it is sent.
    assert [row["outcome"] for row in report] == ["skipped", "created"]
    assert len(fake.created) == 2


def test_two_unknown_rows_matching_one_client_are_both_left_unknown(tmp_path: Path) -> None:
    clients, fake = same_client_twice(tmp_path, 2, 3)
    code, report, _ = run(clients, fake)
    assert code == 1
    assert [row["outcome"] for row in report] == ["unknown", "unknown"]
    assert all("matches other unknown rows too" in row["error"] for row in report)


@pytest.mark.parametrize("status", [401, 500])
def test_a_failed_look_up_leaves_the_rows_unknown_and_says_why(
    clients: Path, journal: Path, status: int
) -> None:
    fake = interrupted(clients, journal, 4)
    fake.list_status = status
    code, rows, output = run(clients, fake)
    assert (code, rows[2]["outcome"]) == (1, "unknown")
    assert "a look-up in RoostedHR failed" in rows[2]["error"]
    assert f"HTTP {status}" in rows[2]["error"]
    assert fake.creates == []
    assert CANARY not in output + rows[2]["error"]


def test_a_row_changed_since_it_was_sent_is_not_looked_up(clients: Path, journal: Path) -> None:
    write_csv(clients, people(5, ids=True))  # the same row: the same external id
    fake = interrupted(clients, journal, 4)
    text = clients.read_text(encoding="utf-8").replace("p3@example.com", "p3-new@example.com")
    clients.write_text(text, encoding="utf-8")
    code, rows, _ = run(clients, fake)
    assert (code, rows[2]["outcome"]) == (1, "failed")
    assert "changed since an earlier run may have created it" in rows[2]["error"]
    assert not any(request.method == "GET" for request in fake.requests)
    assert fake.creates == []


def test_other_providers_are_not_asked(tmp_path: Path) -> None:
    # Placio cannot be asked: its rows stay unknown, with the usual advice.
    clients = write_csv(tmp_path / "clients.csv", people(2))
    journal = clients.with_name("clients.csv.journal.sqlite")
    target = ["--provider", "placio", "--sandbox", "--progress", "none"]
    report = tmp_path / "report.csv"
    args = ["import", str(clients), *target, "--report", str(report), "--journal", str(journal)]
    assert invoke(args).exit_code == 0
    set_state(journal, 3, "sending")
    result = invoke(args)
    rows = read_report(report)
    assert (result.exit_code, rows[1]["outcome"]) == (1, "unknown")
    assert "Looked up" not in result.output


# --------------------------------------------------------------------------- the adapter


def listing(records: list[dict[str, Any]], *, status: int = 200) -> tuple[Any, list[str]]:
    """A RoostedHR client list over ``records``, paged as asked; and the pages asked."""
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.method == "GET"
        asked.append(request.url.query.decode())
        size = int(request.url.params["items_per_page"])
        page = int(request.url.params["page"])
        chunk = records[(page - 1) * size : page * size]
        return httpx.Response(status, json={"clients": chunk, "total_count": len(records)})

    return answer, asked


def record(number: int, **overrides: Any) -> dict[str, Any]:
    return {
        "id": f"id{number}",
        "client_name": f"Firm {number}",
        "client_contact_name": f"Person N{number}",
        "client_contact_email": f"p{number}@example.com",
        "pending": False,
        **overrides,
    }


def find(records: list[dict[str, Any]], clients: list[cb.Client]) -> list[list[str]]:
    answer, _ = listing(records)
    with cb.connect("roostedhr", api_key=CANARY, transport=httpx.MockTransport(answer)) as conn:
        batch = [
            conn.adapter.prepare(index, client, "warn") for index, client in enumerate(clients)
        ]
        found = conn.driver.run(conn.adapter.find_existing(batch))
    return [[result.id for result in results] for results in found]


def person(number: int) -> cb.Client:
    return cb.Client(
        company_name=f"Firm {number}",
        first_name="Person",
        last_name=f"N{number}",
        email=f"p{number}@example.com",
    )


def test_find_existing_walks_every_page_once_and_stops_at_the_total() -> None:
    records = [record(number) for number in range(1, 2 * LIST_PAGE_SIZE + 51)]
    answer, asked = listing(records)
    with cb.connect("roostedhr", api_key=CANARY, transport=httpx.MockTransport(answer)) as conn:
        batch = [conn.adapter.prepare(0, person(240), "warn")]
        found = conn.driver.run(conn.adapter.find_existing(batch))
    assert [[result.id for result in results] for results in found] == [["id240"]]
    assert asked == [f"items_per_page={LIST_PAGE_SIZE}&page={page}" for page in (1, 2, 3)]


def test_find_existing_compares_what_a_create_sends_ignoring_case_and_spacing() -> None:
    records = [
        record(1, client_contact_email="P1@Example.com", client_name="  firm   1 "),
        record(2, client_contact_name="Someone Else"),  # another person: not a match
        record(3, id=None),  # no id: cannot be a row's client
    ]
    assert find(records, [person(1), person(2), person(3), person(4)]) == [["id1"], [], [], []]


def test_find_existing_on_an_unreadable_list_raises_a_clientbridge_error() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": []})

    with cb.connect("roostedhr", api_key=CANARY, transport=httpx.MockTransport(answer)) as conn:
        batch = [conn.adapter.prepare(0, person(1), "warn")]
        with pytest.raises(cb.UnexpectedResponseError, match='no "clients" list') as caught:
            conn.driver.run(conn.adapter.find_existing(batch))
    assert caught.value.maybe_created is False


def test_adapters_that_cannot_be_asked_say_so() -> None:
    with cb.connect("placio", sandbox=True) as conn:
        assert not conn.adapter.capabilities.find_existing
        with pytest.raises(NotImplementedError, match="cannot be asked"):
            conn.adapter.find_existing([])


# --------------------------------------------------------------------------- unique email


def agencyhandy_import(tmp_path: Path, sandbox: Sandbox) -> tuple[int, list[dict[str, str]], str]:
    """``clientbridge import`` of five rows into ``sandbox``'s AgencyHandy (kept across runs)."""
    clients = tmp_path / "clients.csv"
    if not clients.exists():
        write_csv(clients, people(5))
    report = tmp_path / "report.csv"
    args = ["import", str(clients), "--provider", "agencyhandy", "--sandbox"]
    args += ["--progress", "none", "--report", str(report)]
    args += ["--journal", str(tmp_path / "journal.sqlite")]
    result = invoke(
        args, lambda provider, asynchronous: sandbox.transport(provider, asynchronous=asynchronous)
    )
    return result.exit_code, read_report(report), result.output


@pytest.mark.parametrize(
    ("fault", "note"),
    [
        ("error_after_create", "already exists"),  # the first run did create them
        ("bad_gateway", None),  # it did not: they are created now
    ],
)
def test_agencyhandy_unknown_rows_are_settled_by_sending_them_again(
    tmp_path: Path, fault: str, note: str | None
) -> None:
    # AgencyHandy refuses a second client with the same email, so sending an unknown row
    # again is safe: it creates the client or answers that it exists.
    sandbox = Sandbox()
    sandbox.inject(fault, provider="agencyhandy")  # the one bulk request of the first run
    code, rows, output = agencyhandy_import(tmp_path, sandbox)
    assert (code, {row["outcome"] for row in rows}) == (1, {"unknown"})
    assert "Run the same command again" in output
    assert all("sends it again, which is safe" in row["error"] for row in rows)

    code, rows, output = agencyhandy_import(tmp_path, sandbox)
    assert (code, {row["outcome"] for row in rows}) == (0, {"created"})
    assert all((note or "") in row["warnings"] for row in rows)
    assert "Sent 5 rows an earlier run left unknown again" in output
    emails = [record["email"] for record in sandbox.records("agencyhandy")]
    assert sorted(emails) == [f"p{number}@example.com" for number in range(1, 6)]  # once each

    code, rows, _ = agencyhandy_import(tmp_path, sandbox)
    assert (code, {row["outcome"] for row in rows}) == (0, {"skipped"})
