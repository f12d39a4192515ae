"""The process exit codes of the `clientbridge` command and of an import (SPEC §7)."""

from __future__ import annotations

import enum

__all__ = ["ExitCode"]


class ExitCode(enum.IntEnum):
    """What a run's exit status means; shell scripts and CI jobs branch on these."""

    #: everything asked for was done
    OK = 0
    #: the run finished but some rows or clients failed (or their outcome is unknown)
    FAILED = 1
    #: nothing could be done as asked: a usage, configuration or target error
    USAGE = 2
    #: stopped by Ctrl-C (128 + SIGINT), the shell's convention
    INTERRUPTED = 130
