"""Child processes started at one moment: each says ``ready``, all are told ``go``, each
answers one JSON line. The ledger and shared rate-limit tests race real processes so."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def child(module: str, *arguments: str) -> subprocess.Popen[str]:
    """``python -m module arguments`` from the repository, talking over pipes."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *arguments],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def run_together(children: Sequence[subprocess.Popen[str]]) -> list[tuple[Any, int]]:
    """Start ``children`` together once all are ready; each one's JSON answer and exit
    code, in order. Any child still running at the end is killed."""
    try:
        for process in children:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        for process in children:  # all start now
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        answers = []
        for process in children:
            assert process.stdout is not None
            answers.append((json.loads(process.stdout.readline()), process.wait(30)))
        return answers
    finally:
        for process in children:
            if process.poll() is None:
                process.kill()
                process.wait(10)
