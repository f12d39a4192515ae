"""Every registered built-in has its fixture module in ``tests/providers``; one without
fails here (and in every shared suite), naming the file to add."""

from __future__ import annotations

import pytest

import clientbridge as cb

from .providers import BUILTINS, REQUIRED, fixture


def test_the_shared_suites_run_over_the_registry() -> None:
    assert BUILTINS, "the registry lists no built-in provider"
    assert set(BUILTINS) <= set(cb.providers())


@pytest.mark.parametrize("provider", BUILTINS)
def test_every_builtin_provider_has_a_fixture_module(provider: str) -> None:
    found = fixture(provider)
    assert found.name == provider
    with cb.connect(provider, **found.offline_settings("k")) as conn:
        assert conn.preview(found.minimal)


def test_a_provider_without_a_fixture_module_is_named_with_the_file_to_add() -> None:
    with pytest.raises(LookupError, match=r"add tests/providers/no_such_provider\.py") as caught:
        fixture("no_such_provider")
    assert all(name in str(caught.value) for name in REQUIRED)
