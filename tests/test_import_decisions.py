"""The import's decisions, without an event loop or any I/O: a journal entry and options
in, an action out (`clientbridge.importer.running.decisions`)."""

from __future__ import annotations

import pytest

from clientbridge.errors import (
    AuthenticationError,
    DuplicateClientError,
    ProviderUnavailableError,
    ProviderValidationError,
    RateLimitedError,
    TransportError,
)
from clientbridge.importer.errors import Advice
from clientbridge.importer.reading.source import SourceRow
from clientbridge.importer.rows import RowState
from clientbridge.importer.rows.journal import JournalEntry
from clientbridge.importer.running.decisions import (
    JournalWrite,
    Policy,
    Send,
    Settle,
    decide,
    refuses_target,
    resolve,
)
from clientbridge.model import Client
from clientbridge.result import ClientStatus, CreateResult

CLIENT = Client(first_name="Ada", last_name="Lovelace", email="ada@example.com")
NO_EMAIL = Client(first_name="Ada", last_name="Lovelace", phone="+441234567890")
ROW = SourceRow(line=2, digest="same", client=CLIENT)
INVALID_ROW = SourceRow(line=2, digest="same", client=None, error="email: not an address")


def entry(state: str, digest: str = "same", *, client_id: str | None = None) -> JournalEntry:
    return JournalEntry(line=2, digest=digest, state=state, client_id=client_id, error="boom")


PLAIN = Policy(provider="acme", display_name="Acme")
UNIQUE_EMAIL = Policy(provider="acme", display_name="Acme", unique_email=True)
RETRY_UNKNOWN = Policy(provider="acme", retry_unknown=True)
RETRY_FAILED = Policy(provider="acme", retry_failed=True)

# (case, row, journal entry, policy) -> what to do: Send(...) or (outcome, journal write)
DECISIONS = [
    ("a new row is sent", ROW, None, PLAIN, Send()),
    ("a new invalid row fails", INVALID_ROW, None, PLAIN, (RowState.FAILED, JournalWrite.RECORD)),
    (
        "created earlier, same content: skipped",
        ROW,
        entry("created", client_id="c1"),
        PLAIN,
        (RowState.SKIPPED, JournalWrite.KEEP),
    ),
    (
        "created earlier, changed: not sent again",
        ROW,
        entry("created", "other", client_id="c1"),
        PLAIN,
        (RowState.FAILED, JournalWrite.KEEP),
    ),
    (
        "unknown earlier, changed: not sent again",
        ROW,
        entry("unknown", "other"),
        PLAIN,
        (RowState.FAILED, JournalWrite.KEEP),
    ),
    ("failed earlier, changed: sent", ROW, entry("failed", "other"), PLAIN, Send()),
    (
        "failed earlier, same: failed again",
        ROW,
        entry("failed"),
        PLAIN,
        (RowState.FAILED, JournalWrite.KEEP),
    ),
    ("failed earlier, same, retry failed: sent", ROW, entry("failed"), RETRY_FAILED, Send()),
    (
        "unknown earlier: reported unknown",
        ROW,
        entry("unknown"),
        PLAIN,
        (RowState.UNKNOWN, JournalWrite.KEEP),
    ),
    (
        "sending earlier: recorded unknown",
        ROW,
        entry("sending"),
        PLAIN,
        (RowState.UNKNOWN, JournalWrite.RECORD),
    ),
    (
        "sending earlier, invalid: it cannot have been sent",
        INVALID_ROW,
        entry("sending"),
        PLAIN,
        (RowState.FAILED, JournalWrite.RECORD),
    ),
    (
        "unknown earlier, retry unknown: sent again",
        ROW,
        entry("unknown"),
        RETRY_UNKNOWN,
        Send(retry_unknown=True),
    ),
    (
        "sending earlier, retry unknown: sent again",
        ROW,
        entry("sending"),
        RETRY_UNKNOWN,
        Send(retry_unknown=True),
    ),
    (
        "unknown earlier, unique emails: sent again on its own",
        ROW,
        entry("unknown"),
        UNIQUE_EMAIL,
        Send(retry_unknown=True, resent_unknown=True),
    ),
    (
        "unknown earlier, unique emails but no email: reported unknown",
        SourceRow(line=2, digest="same", client=NO_EMAIL),
        entry("unknown"),
        UNIQUE_EMAIL,
        (RowState.UNKNOWN, JournalWrite.KEEP),
    ),
]


@pytest.mark.parametrize(
    ("row", "previous", "policy", "expected"),
    [case[1:] for case in DECISIONS],
    ids=[case[0] for case in DECISIONS],
)
def test_decide(
    row: SourceRow,
    previous: JournalEntry | None,
    policy: Policy,
    expected: Send | tuple[RowState, JournalWrite],
) -> None:
    decision = decide(row, previous, policy, invalid=lambda: row.error)
    if isinstance(expected, Send):
        assert decision == expected
    else:
        assert isinstance(decision, Settle)
        assert (decision.outcome, decision.journal) == expected


def test_a_changed_row_is_counted_as_changed() -> None:
    decision = decide(ROW, entry("created", "other", client_id="c1"), PLAIN)
    assert isinstance(decision, Settle)
    assert decision.changed
    assert "created it as c1" in (decision.error or "")


def test_a_row_skipped_as_created_keeps_how_it_was_found() -> None:
    decision = decide(ROW, entry("created", client_id="c1"), PLAIN)
    assert isinstance(decision, Settle)
    assert (decision.client_id, decision.warnings) == ("c1", ("boom",))


def test_what_a_look_up_found_is_added_to_an_unknown_row() -> None:
    decision = decide(ROW, entry("unknown"), PLAIN, looked_up="a look-up found nothing")
    assert isinstance(decision, Settle)
    assert decision.error == "boom; since then, a look-up found nothing"


def test_the_advice_words_the_remedy() -> None:
    policy = Policy(provider="acme", advice=Advice(retry_failed_row="say the magic word"))
    decision = decide(ROW, entry("failed"), policy)
    assert isinstance(decision, Settle)
    assert decision.error == "boom (failed in an earlier run; say the magic word)"


def test_unknown_advice_follows_the_capabilities() -> None:
    plain = decide(ROW, entry("sending"), PLAIN)
    unique = decide(SourceRow(2, "same", NO_EMAIL), entry("sending"), UNIQUE_EMAIL)
    assert isinstance(plain, Settle)
    assert isinstance(unique, Settle)
    assert "check in acme" in (plain.error or "")
    assert "Acme refuses a second client with the same email" in (unique.error or "")


def _created() -> CreateResult:
    return CreateResult(provider="acme", id="c9", status=ClientStatus.ACTIVE, client=CLIENT)


# (case, send result, sent again as unknown) -> (outcome, journal write, stops, retryable)
RESOLUTIONS = [
    ("created", _created(), False, (RowState.CREATED, JournalWrite.RECORD, False, False)),
    (
        "a validation refusal fails",
        ProviderValidationError("bad phone", provider="acme", status_code=422),
        False,
        (RowState.FAILED, JournalWrite.RECORD, False, False),
    ),
    (
        "a rate limit fails, retryable",
        RateLimitedError("slow down", provider="acme", status_code=429),
        False,
        (RowState.FAILED, JournalWrite.RECORD, False, True),
    ),
    (
        "a 500 may have created it",
        ProviderUnavailableError("oops", provider="acme", status_code=500),
        False,
        (RowState.UNKNOWN, JournalWrite.RECORD, False, False),
    ),
    (
        "a bad credential stops and forgets the row",
        AuthenticationError("bad key", provider="acme", status_code=401),
        False,
        (RowState.FAILED, JournalWrite.FORGET, True, False),
    ),
    (
        "a bad credential on a row sent again leaves it unknown",
        AuthenticationError("bad key", provider="acme", status_code=401),
        True,
        (RowState.UNKNOWN, JournalWrite.RECORD, True, False),
    ),
    (
        "a duplicate of a row sent again: created earlier",
        DuplicateClientError("exists", provider="acme", status_code=409),
        True,
        (RowState.CREATED, JournalWrite.RECORD, False, False),
    ),
    (
        "a duplicate of a new row fails",
        DuplicateClientError("exists", provider="acme", status_code=409),
        False,
        (RowState.FAILED, JournalWrite.RECORD, False, False),
    ),
    (
        "a read timeout may have created it",
        TransportError("read timeout", maybe_sent=True),
        False,
        (RowState.UNKNOWN, JournalWrite.RECORD, False, False),
    ),
    (
        "unreachable: stops",
        TransportError("connect failed", maybe_sent=False),
        False,
        (RowState.FAILED, JournalWrite.FORGET, True, False),
    ),
    (
        "a bug below the importer: unknown",
        RuntimeError("bug"),
        False,
        (RowState.UNKNOWN, JournalWrite.RECORD, False, False),
    ),
]


@pytest.mark.parametrize(
    ("result", "retry_unknown", "expected"),
    [case[1:] for case in RESOLUTIONS],
    ids=[case[0] for case in RESOLUTIONS],
)
def test_resolve(
    result: CreateResult | BaseException,
    retry_unknown: bool,
    expected: tuple[RowState, JournalWrite, bool, bool],
) -> None:
    settle = resolve(result, PLAIN, retry_unknown=retry_unknown)
    assert (settle.outcome, settle.journal, settle.stops, settle.retryable) == expected


def test_a_duplicate_of_a_row_sent_again_is_journaled_with_a_note() -> None:
    settle = resolve(DuplicateClientError("exists", provider="acme"), PLAIN, retry_unknown=True)
    assert settle.journal_note is not None
    assert settle.warnings == (settle.journal_note,)


def test_refuses_target_only_when_nothing_can_have_been_sent() -> None:
    assert refuses_target(TransportError("refused", maybe_sent=False))
    assert not refuses_target(TransportError("timeout", maybe_sent=True))


# --------------------------------------------------------------------------- issue 19

ASKED = Policy(provider="acme", display_name="Acme", find_existing=True)


def test_an_unknown_row_a_look_up_did_not_find_after_the_window_is_sent() -> None:
    decision = decide(ROW, entry("sending"), ASKED, not_found=True)
    assert decision == Send(retry_unknown=True, not_found=True)


def test_an_unknown_row_nothing_can_check_is_sent_unchecked_only_when_retried() -> None:
    assert decide(ROW, entry("unknown"), RETRY_UNKNOWN, unchecked=True) == Send(
        retry_unknown=True, unchecked=True
    )
    settled = decide(ROW, entry("unknown"), PLAIN, unchecked=True)
    assert isinstance(settled, Settle)
    assert settled.outcome is RowState.UNKNOWN


def test_a_row_re_sent_without_a_check_is_resent_not_created_and_journaled_created() -> None:
    settle = resolve(_created(), RETRY_UNKNOWN, retry_unknown=True, unchecked=True)
    assert settle.outcome is RowState.RESENT
    assert settle.journal_state is RowState.CREATED
    assert settle.client_id is not None
    assert "re-sent without a check" in (settle.journal_note or "")


def test_already_exists_after_a_row_with_the_same_email_names_that_row() -> None:
    duplicate = DuplicateClientError("already exists.", provider="acme")
    settle = resolve(duplicate, UNIQUE_EMAIL, retry_unknown=True, same_email_as=7)
    assert settle.outcome is RowState.FAILED  # the other row's client, not this one's
    assert "Row 7 of this file has the same email" in (settle.error or "")


def test_the_refusal_of_an_unchecked_re_send_lists_rows_and_names_no_flag() -> None:
    from clientbridge.importer.running.decisions import unchecked_refusal

    refusal = str(unchecked_refusal(list(range(2, 40)), PLAIN))
    assert "38 rows" in refusal
    assert "rows 2, 3," in refusal
    assert "and 18 more" in refusal
    assert "Nothing was sent" in refusal
    assert "--" not in refusal


def test_the_advice_for_an_unknown_row_follows_find_existing() -> None:
    from clientbridge.importer.running.decisions import check_advice

    assert "looks it up in Acme" in check_advice(ASKED)
