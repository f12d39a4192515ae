"""The fifth-provider checklist is the code: every built-in provider has each of its own
files, every generated list names it, and no architecture contract names one."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clientbridge._toml import parse_toml
from clientbridge.docgen import generated_files, render_pages
from clientbridge.sandbox.emulators import EMULATORS

from .providers import BUILTINS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def missing_files(provider: str) -> list[str]:
    """What ``provider`` lacks of its own files (docs/architecture.md, "Adding a fifth
    provider"), as paths from the repository root."""
    missing = []
    if provider not in EMULATORS:
        missing.append(f"clientbridge/sandbox/emulators/{provider}.py (its emulator)")
    page = f"docs/providers/{provider}.md"
    if not (ROOT / page).is_file():
        missing.append(f"{page} (its docs page)")
    if f"providers/{provider}.md" not in (ROOT / "mkdocs.yml").read_text(encoding="utf-8"):
        missing.append("its nav line in mkdocs.yml (python -m clientbridge.docgen writes it)")
    if importlib.util.find_spec(f"tests.providers.{provider}") is None:
        missing.append(f"tests/providers/{provider}.py (its fixture module)")
    if not list((ROOT / "tests" / "cassettes" / provider).glob("*.yaml")):
        missing.append(f"tests/cassettes/{provider}/ (its cassettes)")
    module = f"tests/cassette_tests/test_cassettes_{provider}.py"
    if not (ROOT / module).is_file():
        missing.append(f"{module} (its cassette tests)")
    return missing


@pytest.mark.parametrize("provider", BUILTINS)
def test_a_built_in_provider_has_each_of_its_files(provider: str) -> None:
    missing = missing_files(provider)
    assert not missing, f"the built-in provider {provider!r} needs: " + "; ".join(missing)


@pytest.mark.parametrize("provider", BUILTINS)
def test_every_generated_list_names_a_built_in_provider(provider: str) -> None:
    stale = [
        str(path.relative_to(ROOT))
        for path in generated_files(DOCS)
        if render_pages(path.read_text(encoding="utf-8"), DOCS) != path.read_text(encoding="utf-8")
    ]
    assert not stale, f"run python -m clientbridge.docgen: {stale} miss {provider!r} or are stale"
    for name in ("README.md", "mkdocs.yml", "docs/sandbox.md", "docs/reliability.md"):
        assert provider in (ROOT / name).read_text(encoding="utf-8").lower(), name


def test_the_checklist_names_what_a_provider_lacks() -> None:
    missing = missing_files("nosuchprovider")
    assert len(missing) == 6
    assert "docs/providers/nosuchprovider.md (its docs page)" in missing


def test_no_import_contract_names_a_provider() -> None:
    """Contracts cover adapters by pattern (``clientbridge.adapters.*``): one that named
    each adapter would leave a new one silently unchecked while saying KEPT."""
    pyproject = parse_toml((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = pyproject["tool"]["importlinter"]["contracts"]
    patterned = [c for c in contracts if "clientbridge.adapters.*" in str(c)]
    assert len(patterned) >= 2
    for contract in contracts:
        for provider in BUILTINS:
            assert f"clientbridge.adapters.{provider}" not in str(contract), contract["name"]


def test_the_adapter_contracts_cover_an_adapter_added_tomorrow(tmp_path: Path) -> None:
    """A copy of the package with a new adapter module that imports another adapter, and a
    building block that imports it: both adapter contracts break (a contract naming each
    adapter would say KEPT)."""
    shutil.copytree(ROOT / "clientbridge", tmp_path / "clientbridge")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    adapters = tmp_path / "clientbridge" / "adapters"
    other = f"clientbridge.adapters.{BUILTINS[0]}"
    (adapters / "tomorrow.py").write_text(f"import {other}\n", encoding="utf-8")
    with (adapters / "responses.py").open("a", encoding="utf-8") as responses:
        responses.write("\nimport clientbridge.adapters.tomorrow\n")
    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(linter)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    broken = [line for line in done.stdout.splitlines() if "BROKEN" in line]
    assert any("building blocks" in line for line in broken), done.stdout
    assert any("Each adapter stands alone" in line for line in broken), done.stdout
    assert "clientbridge.adapters.tomorrow" in done.stdout
