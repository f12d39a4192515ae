"""AgencyHandy's transport safety: its look-ups' ids, answers and redirects, and the
company id in a lead's path and header (the shared checks are in
test_reliability_transport.py)."""

from __future__ import annotations

from urllib.parse import unquote

import httpx
import pytest

import clientbridge as cb
from clientbridge.errors import outcome_unknown

from .conftest import CANARY, Recorder
from .providers import fixture
from .test_reliability_transport import (
    CAP,
    CLIENT,
    ENCODED_SEGMENT,
    LEAD,
    SYNC_AND_ASYNC,
    assert_no_canary,
    create,
    posts,
    redirecting,
    small_cap,  # noqa: F401  (a fixture the look-up tests use)
)

CREATED = fixture("agencyhandy").created


@pytest.mark.parametrize("company_id", ["co 1", "co%1", "co?1", "co#1", "%2e%2e"])
@pytest.mark.parametrize("looked_up", [False, True], ids=["setting", "looked-up"])
def test_agencyhandy_company_id_is_encoded_in_the_lead_path_and_sent_as_is_in_its_header(
    company_id: str, looked_up: bool
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/accounts/companies"):
            return httpx.Response(200, json={"companies": [{"_id": company_id, "name": "Co"}]})
        if request.url.path.endswith("/roles"):
            return httpx.Response(200, json={"roles": [{"_id": "r1", "role": {"name": "client"}}]})
        return httpx.Response(201, json=CREATED)

    recorder = Recorder(answer)
    settings = {"api_key": CANARY} if looked_up else {"api_key": CANARY, "company_id": company_id}
    with cb.connect("agencyhandy", transport=recorder.transport(), **settings) as conn:
        conn.create(LEAD)
    (post,) = posts(recorder)
    root, company, segment, *rest = post.url.raw_path.decode("ascii").split("/")
    assert (root, company, rest) == ("", "company", ["members", "bulk-client"])
    assert ENCODED_SEGMENT.fullmatch(segment)
    assert unquote(segment) == company_id
    assert post.url.query == b""
    assert post.headers["companyid"] == company_id


UNSAFE_IDS = ["a/b", "..", ".", "../admin", "x\r\nX-Injected: 1", "x\nY", "x\x00", "cö", "x\u2028"]


@SYNC_AND_ASYNC
@pytest.mark.parametrize("lookup", ["company_id", "client_role_id"])
@pytest.mark.parametrize("looked_up_id", UNSAFE_IDS, ids=repr)
@pytest.mark.anyio
async def test_an_unsafe_looked_up_id_is_refused_before_anything_is_created(
    asynchronous: bool, lookup: str, looked_up_id: str
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/accounts/companies"):
            return httpx.Response(200, json={"companies": [{"_id": looked_up_id, "name": "Co"}]})
        if request.url.path.endswith("/roles"):
            roles = [{"_id": looked_up_id, "role": {"name": "client"}}]
            return httpx.Response(200, json={"roles": roles})
        return httpx.Response(201, json=CREATED)

    recorder = Recorder(answer)
    # The company look-up runs when company_id is not set; the role look-up for a lead.
    settings = {"company_id": None} if lookup == "company_id" else {}
    client = LEAD if lookup == "client_role_id" else CLIENT
    with pytest.raises(cb.UnexpectedResponseError, match=f"the {lookup} look-up") as caught:
        await create(
            "agencyhandy", asynchronous, client, transport=recorder.transport(), **settings
        )
    assert caught.value.maybe_created is False
    assert not outcome_unknown(caught.value)
    assert posts(recorder) == []
    assert_no_canary(caught.value)


@pytest.mark.usefixtures("small_cap")
@SYNC_AND_ASYNC
@pytest.mark.parametrize("answer", ["oversized", "not-json", "deep-json"])
@pytest.mark.anyio
async def test_a_look_up_answer_that_cannot_be_read_creates_nothing(
    asynchronous: bool, answer: str
) -> None:
    content = {"oversized": b" " * (CAP + 1), "not-json": b"<html/>", "deep-json": b"[" * 100_000}

    def respond(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, content=content[answer])
        return httpx.Response(201, json=CREATED)

    recorder = Recorder(respond)
    with pytest.raises(cb.UnexpectedResponseError) as caught:
        await create("agencyhandy", asynchronous, transport=recorder.transport(), company_id=None)
    assert caught.value.maybe_created is False
    assert "nothing was created" in str(caught.value).casefold()
    assert posts(recorder) == []


@SYNC_AND_ASYNC
@pytest.mark.anyio
async def test_a_redirected_look_up_is_not_followed_and_creates_nothing(
    asynchronous: bool,
) -> None:
    recorder = redirecting(303)
    with pytest.raises(cb.ProviderError, match="redirects") as caught:
        await create("agencyhandy", asynchronous, transport=recorder.transport(), company_id=None)
    assert_no_canary(caught.value)
    assert not outcome_unknown(caught.value)  # a look-up creates nothing, even on a 303
    (request,) = recorder.requests
    assert (request.method, request.url.path) == ("GET", "/accounts/companies")
