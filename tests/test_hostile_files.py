"""Hostile files: broken rows fail alone, in the report; the rest of the file is imported.

Hypothesis writes CSV and JSONL files mixing good rows with broken ones (bytes that are
not UTF-8, NUL, ragged rows, cells missing, values that are not clients, JSON that is not
an object) and imports each through the CLI into a RoostedHR stand-in.
"""

from __future__ import annotations

import json
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .import_fakes import ROOSTED, FakeRoostedHR, invoke, read_report

HEADER = b"Company,First Name,Last Name,Email Address\n"
HOSTILE = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Broken CSV lines, each one physical line with no newline in it.
broken_csv_rows = st.one_of(
    st.binary(min_size=1, max_size=40).map(
        lambda raw: b"Firm,\xff\xfe" + raw.replace(b"\n", b"").replace(b"\r", b"")
    ),
    st.just(b"Firm,Only two cells"),  # ragged: too few
    st.just(b"Firm,A,B,a@example.com,surplus,cells"),  # ragged: too many
    st.just(b"Firm,NUL\x00inside,B,nul@example.com"),
    st.just(b"Firm,Bad,Email,not-an-email"),
    st.just(b",,,"),  # a row with nothing in it: RoostedHR needs a name
    st.text(
        st.characters(codec="utf-8", exclude_characters='\r\n,"\x00\x1c\x1d\x1e\x85\u2028\u2029'),
        max_size=30,
    ).map(lambda text: f"Firm,{text},{text},also-not-an-email".encode()),
)

broken_jsonl_lines = st.one_of(
    # Not UTF-8 from its first byte; "#" after it keeps it from being a UTF-16 byte-order
    # mark (ff fe), which on a first line makes the whole file UTF-16 and refused.
    st.binary(min_size=1, max_size=40).map(
        lambda raw: b"\xff#" + raw.replace(b"\n", b"").replace(b"\r", b"")
    ),
    st.just(b"[1, 2, 3]"),
    st.just(b'{"email": 7, "first_name": ["x"]}'),
    st.just(b'{"first_name": "A", "last_name": "B", "email": "nope"}'),
    st.just(b'{"unknown_field": true}'),
    st.just(b'{"first_name": "A", "address": "not an object", "email": "a@example.com"}'),
    st.just(b"{"),
    st.just(b"null"),
)


def good_csv(number: int) -> bytes:
    return f"Firm {number},Person,N{number},good{number}@example.com".encode()


def good_jsonl(number: int) -> bytes:
    client = {
        "first_name": "Person",
        "last_name": f"N{number}",
        "email": f"good{number}@example.com",
    }
    return json.dumps({**client, "company_name": f"Firm {number}"}).encode()


def import_file(name: str, content: bytes) -> tuple[int, list[dict[str, str]], FakeRoostedHR]:
    with TemporaryDirectory() as directory:
        path = Path(directory) / name
        path.write_bytes(content)
        report = Path(directory) / "report.csv"
        fake = FakeRoostedHR()
        result = invoke(["import", str(path), *ROOSTED, "--report", str(report)], fake.transport)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        return result.exit_code, read_report(report), fake


def check_outcomes(
    kinds: list[bool], first_line: int, code: int, report: list[dict[str, str]], fake: FakeRoostedHR
) -> None:
    """``kinds[i]`` says whether the i-th row is good: good rows created once, the broken
    ones failed with a reason, one report line per row, in order."""
    assert [int(row["row"]) for row in report] == list(range(first_line, first_line + len(kinds)))
    for good, row in zip(kinds, report, strict=True):
        if good:
            assert row["outcome"] == "created", row
            assert row["id"]
        else:
            assert row["outcome"] == "failed", row
            assert row["error"]
    expected = [f"good{i}@example.com" for i, good in enumerate(kinds) if good]
    assert fake.created_emails() == expected  # each good row once, in file order
    assert code == (1 if not all(kinds) else 0)


rows = st.lists(st.one_of(st.none(), st.booleans()), min_size=1, max_size=12)


@HOSTILE
@given(data=st.data(), plan=rows)
def test_a_csv_with_broken_rows_imports_the_rest(
    data: st.DataObject, plan: list[bool | None]
) -> None:
    kinds = [bool(choice) for choice in plan]
    lines = [good_csv(i) if good else data.draw(broken_csv_rows) for i, good in enumerate(kinds)]
    code, report, fake = import_file("clients.csv", HEADER + b"\n".join(lines) + b"\n")
    check_outcomes(kinds, 2, code, report, fake)


@HOSTILE
@given(data=st.data(), plan=rows)
def test_a_jsonl_file_with_broken_lines_imports_the_rest(
    data: st.DataObject, plan: list[bool | None]
) -> None:
    kinds = [bool(choice) for choice in plan]
    lines = [
        good_jsonl(i) if good else data.draw(broken_jsonl_lines) for i, good in enumerate(kinds)
    ]
    code, report, fake = import_file("clients.jsonl", b"\n".join(lines) + b"\n")
    check_outcomes(kinds, 1, code, report, fake)


def test_a_jsonl_file_that_starts_with_a_utf16_mark_is_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "clients.jsonl"
    path.write_bytes(b"\xff\xfe" + good_jsonl(0) + b"\n")
    fake = FakeRoostedHR()
    result = invoke(["import", str(path), *ROOSTED], fake.transport)
    assert result.exit_code == 2  # refused before anything is sent
    assert "UTF-16" in result.output
    assert fake.requests == []
