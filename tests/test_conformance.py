"""The built-in adapters pass the conformance kit third-party adapters use."""

from __future__ import annotations

import json

import httpx

import clientbridge as cb
from clientbridge.testing import AdapterConformance


class TestRoostedHR(AdapterConformance):
    provider = "roostedhr"
    minimal_client = cb.Client(company_name="Acme Corp")

    def answer(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(201, json={"id": "uLu8K", **body, "pending": False})


class TestPlacio(AdapterConformance):
    provider = "placio"
    settings = {"workspace_id": "ws1", "base_url": "https://placio.example"}
    minimal_client = cb.Client(name="Ada Lovelace", email="ada@example.com")

    def answer(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(201, json={"client": {"id": "507f1f77bcf86cd799439011", **body}})
