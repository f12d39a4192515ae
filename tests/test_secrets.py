"""`Secret` never shows its value except through `.reveal()`."""

from __future__ import annotations

import json
import pickle

import pytest

import clientbridge as cb
from clientbridge.secrets import redact_text, redact_value

from .conftest import CANARY


def test_secret_hides_its_value_everywhere() -> None:
    secret = cb.Secret(CANARY)
    for text in (str(secret), repr(secret), f"{secret}", f"{secret!r}", "%s" % secret):  # noqa: UP031
        assert CANARY not in text
    assert secret.reveal() == CANARY


def test_secret_is_not_a_str_so_it_cannot_leak_by_concatenation() -> None:
    secret = cb.Secret(CANARY)
    with pytest.raises(TypeError):
        "Bearer " + secret  # type: ignore[operator]
    with pytest.raises(TypeError):
        json.dumps({"key": secret})


def test_secret_refuses_pickling() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(cb.Secret(CANARY))


def test_secrets_compare_by_value() -> None:
    assert cb.Secret("a-key") == cb.Secret("a-key")
    assert cb.Secret("a-key") != cb.Secret("b-key")


def test_redaction_masks_secrets_and_sensitive_keys_in_json() -> None:
    body = {"message": f"bad key {CANARY}", "client": {"dob": "1815-12-10", "name": "Ada"}}
    redacted = redact_value(body, [cb.Secret(CANARY)], frozenset({"dob"}))
    assert CANARY not in json.dumps(redacted)
    assert redacted["client"] == {"dob": "***", "name": "Ada"}
    assert redact_text(f"x{CANARY}x", [cb.Secret(CANARY)]) == "x***x"
