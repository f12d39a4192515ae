"""A fifth built-in provider touches a handful of files, and the shared suites find it.

``tests/fifth_provider`` holds a throwaway provider, Quillbook: its adapter, its emulator
and its test fixture module. A pytest run loading ``tests.fifth_provider.plugin`` makes it
a built-in (the registry's table line and the emulator module, as adding it to the package
does). The shared suites then run over it: the conformance kit and the transport suite
pass, and the suites that need what was left out on purpose fail naming the file:
its docs page, its nav line, its cassettes and their test module, and every generated
list of the docs that does not name it yet. Without its fixture module, the fixture check fails
naming ``tests/providers/quillbook.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIFTH = Path(__file__).resolve().parent / "fifth_provider"

#: The files the fifth provider needs, beyond a line in the registry's built-in table:
#: adapter, emulator, test fixture module (here), its docs page and cassettes (not made).
PROVIDER_FILES = ("adapter.py", "emulator.py", "fixtures/quillbook.py")


def run_suites(tmp_path: Path, *args: str, with_fixture: bool = True) -> dict[str, str]:
    """Run pytest with the fifth provider registered: each test id → "passed" or its
    failure message."""
    report = tmp_path / "report.xml"
    env = {**os.environ, "CLIENTBRIDGE_FIFTH_WITHOUT_FIXTURE": "" if with_fixture else "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "tests.fifth_provider.plugin"]
    command += ["-p", "no:cacheprovider", "-p", "no:randomly", f"--junitxml={report}", *args]
    subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=240, check=False)
    outcomes: dict[str, str] = {}
    for case in ElementTree.parse(report).iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        key = f"{case.get('classname')}::{case.get('name')}"
        outcomes[key] = (
            "passed" if problem is None else (problem.get("message") or "") + (problem.text or "")
        )
    return outcomes


def test_the_fifth_provider_is_a_handful_of_files() -> None:
    for name in PROVIDER_FILES:
        assert (FIFTH / name).is_file(), name
    assert not (ROOT / "docs" / "providers" / "quillbook.md").exists()
    assert not (ROOT / "tests" / "cassettes" / "quillbook").exists()


def test_the_shared_suites_pick_up_a_fifth_provider(tmp_path: Path) -> None:
    outcomes = run_suites(
        tmp_path,
        "-k",
        "quillbook",
        "tests/test_conformance.py",
        "tests/test_provider_fixtures.py",
        "tests/test_reliability_transport.py",
        "tests/test_docs.py",
        "tests/cassette_tests/test_cassettes_common.py",
        "tests/test_provider_checklist.py",
    )
    conformance = {k: v for k, v in outcomes.items() if "TestConformance_quillbook" in k}
    assert len(conformance) >= 30
    assert set(conformance.values()) == {"passed"}
    transport = {k: v for k, v in outcomes.items() if "test_reliability_transport" in k}
    assert len(transport) >= 10
    assert set(transport.values()) == {"passed"}
    fixtures = {k: v for k, v in outcomes.items() if "test_provider_fixtures" in k}
    assert set(fixtures.values()) == {"passed"}
    assert fixtures
    (docs,) = (v for k, v in outcomes.items() if "test_docs" in k)
    assert "docs/providers/quillbook.md" in docs
    cassettes = [v for k, v in outcomes.items() if "test_cassettes_common" in k]
    assert cassettes
    assert all("tests/cassettes/quillbook/" in v for v in cassettes)
    # The checklist names every file it lacks, and every generated list that misses it.
    (checklist,) = (
        v for k, v in outcomes.items() if "test_a_built_in_provider_has_each_of_its_files" in k
    )
    for needed in (
        "docs/providers/quillbook.md",
        "nav line in mkdocs.yml",
        "tests/cassettes/quillbook/",
        "tests/cassette_tests/test_cassettes_quillbook.py",
    ):
        assert needed in checklist, needed
    assert "clientbridge/sandbox/emulators" not in checklist  # it has its emulator
    assert "tests/providers/quillbook.py" not in checklist  # and its fixture module
    (lists,) = (v for k, v in outcomes.items() if "test_every_generated_list_names" in k)
    assert "README.md" in lists
    assert "mkdocs.yml" in lists


def test_a_fifth_provider_without_its_fixture_module_fails_loudly(tmp_path: Path) -> None:
    outcomes = run_suites(
        tmp_path,
        "-k",
        "quillbook",
        "tests/test_provider_fixtures.py",
        "tests/test_conformance.py::TestConformance_quillbook::test_minimal_client_is_created_and_normalised",
        with_fixture=False,
    )
    assert outcomes
    assert all("add tests/providers/quillbook.py" in v for v in outcomes.values()), outcomes
