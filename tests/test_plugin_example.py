"""The example plug-in in examples/adapter_plugin installs, is discovered and conforms."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import clientbridge as cb
from clientbridge import registry
from clientbridge.testing import AdapterConformance

PLUGIN = Path(__file__).resolve().parents[1] / "examples" / "adapter_plugin"


@pytest.fixture(scope="module", autouse=True)
def installed_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """pip-install the example into a private directory put on sys.path (offline)."""
    target = tmp_path_factory.mktemp("site")
    # Built from a private copy: pip writes a build/ directory beside the sources, and
    # another pytest-xdist worker may be installing the same example at the same time.
    source = tmp_path_factory.mktemp("plugin-source") / "adapter_plugin"
    shutil.copytree(PLUGIN, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        timeout=120,
    )
    sys.path.insert(0, str(target))
    registry.refresh()
    yield target
    sys.path.remove(str(target))
    for name in [name for name in sys.modules if name.startswith("peoplebook_clientbridge")]:
        del sys.modules[name]
    registry.refresh()


def test_the_installed_plugin_is_listed_by_providers() -> None:
    assert "peoplebook" in cb.providers()
    assert registry.canonical_name("pb") == "peoplebook"


def test_the_plugin_creates_a_client() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json={"id": "p_9", "status": "live", "fullName": "Ada"})

    with cb.connect("pb", api_key="k", transport=httpx.MockTransport(answer)) as conn:
        result = conn.create(cb.Client(first_name="Ada", phone="07911 123456"))
    assert (result.provider, result.id, result.status) == (
        "peoplebook",
        "p_9",
        cb.ClientStatus.ACTIVE,
    )


sys.path.insert(0, str(PLUGIN))
from test_peoplebook import TestPeoplebook as _Kit  # noqa: E402

sys.path.remove(str(PLUGIN))


class TestInstalledPluginConformance(_Kit, AdapterConformance):
    """The example's own conformance test, run against the installed plug-in."""
