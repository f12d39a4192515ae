"""Every command's --help reads as plain text: no reST or Markdown markup."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from clientbridge.cli import cli

#: ``literal``, `code` or :role:`target`: markup a terminal shows as it is.
MARKUP = re.compile(r"``|`[^`\s][^`]*`|:[a-z]+:`")


def _commands(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            assert sub is not None
            yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(cli, ()))


def test_the_walk_finds_the_nested_commands() -> None:
    assert ("sandbox", "serve") in COMMANDS
    assert ("journal", "recover") in COMMANDS
    assert len(COMMANDS) > 8


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "clientbridge")
def test_help_has_no_markup(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    found = MARKUP.findall(result.output)
    assert not found, f"markup in the help of {' '.join(path)}: {found}"
