"""What the command line writes to a terminal or a pipe, made safe for both.

* Text from elsewhere (a provider's error message or id, a value read from a file) may hold
  control characters: an ANSI escape sequence can recolour, retitle or clear a terminal, a
  carriage return can overwrite a line. `printable` spells every control character out
  (``\\x1b``, ``\\r``), so what reaches a terminal is text; only line breaks and tabs are
  kept.
* A standard output or error that cannot be written any more (``... | head`` closed the
  pipe; the terminal went away) is not a reason to fail a command that has done its work:
  `say` drops what cannot be written, and the command ends with its own exit code.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from collections.abc import Sequence
from typing import IO, Any

import click

__all__ = ["ask_to_resend", "on_a_terminal", "printable", "say", "say_somewhere"]

#: C0 controls but line feed and tab, DEL, and the C1 controls (``\x9b`` starts an
#: escape sequence on some terminals, as ``\x1b[`` does).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NAMED = {"\r": "\\r", "\x1b": "\\x1b", "\x00": "\\x00"}
#: A write to a pipe whose reader left, or to a terminal that is gone.
_GONE = (errno.EPIPE, errno.EIO, errno.ENXIO)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or f"\\x{ord(char):02x}"


def printable(text: str) -> str:
    """``text`` with every control character but a line break or a tab spelled out."""
    return _CONTROL.sub(_escape, text)


def say(text: str, *, err: bool = False) -> bool:
    """``click.echo`` of `printable` ``text``; a stream that cannot be written any more
    (a closed pipe, a terminal gone) drops it (and what follows) instead of failing.
    Returns whether it was written."""
    stream: IO[Any] = sys.stderr if err else sys.stdout
    try:
        click.echo(printable(text), file=stream)
        stream.flush()
    except OSError as error:
        if error.errno not in _GONE:
            raise
        _discard(stream)
        return False
    return True


def say_somewhere(text: str) -> None:
    """`say` ``text`` on standard output, else on standard error (``... | head`` closed
    the pipe, but the terminal may still be there)."""
    if not say(text):
        say(text, err=True)


def _discard(stream: IO[Any]) -> None:
    """Point ``stream``'s file descriptor at the null device: what was buffered for it,
    and everything written later, goes nowhere (at exit too, where flushing it would fail)."""
    try:
        descriptor = stream.fileno()
    except (OSError, ValueError):  # not a file (a test's stream)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, descriptor)
    finally:
        os.close(devnull)


def on_a_terminal() -> bool:
    """Whether a person can answer a question (standard input and output are a terminal)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def ask_to_resend(reason: str, lines: Sequence[int]) -> bool:
    """Say why unknown rows would be re-sent without a check, and ask (after checking them
    in the provider, the user knows which do not exist)."""
    click.echo(reason)
    them = "it" if len(lines) == 1 else "them"
    try:
        return click.confirm(
            f"Send {them} again without a check (check {them} in the provider first)?",
            default=False,
        )
    except click.Abort:  # Ctrl-C or the end of the input: a no
        click.echo()
        return False
