"""Placio's workspace id in the URL path is percent-encoded into one segment (the shared
checks are in test_reliability_transport.py)."""

from __future__ import annotations

from urllib.parse import unquote

import httpx
import pytest

import clientbridge as cb

from .conftest import CANARY, Recorder
from .providers import fixture
from .test_reliability_transport import CLIENT, ENCODED_SEGMENT

PLACIO = fixture("placio")


AWKWARD_IDS = [
    "my workspace",
    "50%off",
    "what?x=1",
    "a#b",
    "%2e%2e",
    "%2F",
    "a\\b",
    "a;b=c",
    "{ws}",
    "café",
    "ws@evil.example:1",
]


@pytest.mark.parametrize("workspace_id", AWKWARD_IDS)
def test_a_path_value_is_percent_encoded_into_one_segment(workspace_id: str) -> None:
    recorder = Recorder(lambda request: httpx.Response(201, json=PLACIO.created))
    settings = {**PLACIO.offline_settings(CANARY), "workspace_id": workspace_id}
    with cb.connect("placio", transport=recorder.transport(), **settings) as conn:
        conn.create(CLIENT)
    (request,) = recorder.requests
    assert request.url.host == "placio.example"
    assert request.url.query == b""
    assert request.url.fragment == ""
    root, v1, workspace, segment, clients = request.url.raw_path.decode("ascii").split("/")
    assert (root, v1, workspace, clients) == ("", "v1", "workspace", "clients")
    assert ENCODED_SEGMENT.fullmatch(segment)
    assert unquote(segment) == workspace_id
