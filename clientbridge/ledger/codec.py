"""A created client's result as the ledger keeps it (JSON text), and back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from clientbridge.model import Client
from clientbridge.result import ClientStatus, CreateResult, InviteStatus

__all__ = ["dump_result", "load_result"]


def _plain(value: object) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)


def dump_result(result: CreateResult) -> str:
    """``result`` as JSON text (without ``replayed``)."""
    from clientbridge.convert import converter

    return json.dumps(
        {
            "provider": result.provider,
            "id": result.id,
            "status": result.status.value,
            "client": converter.unstructure(result.client),
            "invite": None if result.invite is None else result.invite.value,
            "provider_status": result.provider_status,
            "created_at": None if result.created_at is None else result.created_at.isoformat(),
            "warnings": list(result.warnings),
            "dropped_fields": list(result.dropped_fields),
            "raw": dict(result.raw),
        },
        default=_plain,
        separators=(",", ":"),
    )


def load_result(text: str, *, replayed: bool = True) -> CreateResult:
    """The result `dump_result` wrote, marked ``replayed``."""
    from clientbridge.convert import converter

    values = json.loads(text)
    created_at = values.get("created_at")
    invite = values.get("invite")
    return CreateResult(
        provider=values["provider"],
        id=values["id"],
        status=ClientStatus(values["status"]),
        client=converter.structure(values["client"], Client),
        invite=None if invite is None else InviteStatus(invite),
        provider_status=values.get("provider_status"),
        created_at=None if created_at is None else datetime.fromisoformat(created_at),
        warnings=values.get("warnings", ()),
        dropped_fields=values.get("dropped_fields", ()),
        raw=values.get("raw", {}),
        replayed=replayed,
    )
