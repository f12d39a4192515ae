"""The example adapter passes clientbridge's conformance kit."""

from __future__ import annotations

import json

import httpx

import clientbridge as cb
from clientbridge.testing import AdapterConformance


class TestPeoplebook(AdapterConformance):
    provider = "peoplebook"
    minimal_client = cb.Client(name="Ada Lovelace", email="ada@example.com")

    def answer(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(201, json={"id": "p_1", "status": "live", **body})
