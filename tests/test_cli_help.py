"""Help as a practice manager reads it: every command's --help renders its text whole,
with plain metavars (no `<bool>`, `<str>`, `<list[...]>` or `{ID...}`), at 80 columns."""
from __future__ import annotations

import click
import pytest
import typer.main
from typer.testing import CliRunner

from cli.main import app

COMMAND = typer.main.get_command(app)


def paths(command: click.Command, prefix=()):
    yield prefix
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from paths(sub, prefix + (name,))


ALL = list(paths(COMMAND))


@pytest.mark.parametrize("path", ALL, ids=[" ".join(p) or "mailscreen" for p in ALL])
def test_help_renders_whole(path):
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "80", "TERM": "dumb"})
    assert result.exit_code == 0, result.output
    text = result.stdout
    for bad in ("<bool>", "<str>", "<int", "<list", "<path", "{ID", "Traceback"):
        assert bad not in text, f"{' '.join(path)}: {bad!r} in\n{text}"
    assert all(len(line) <= 80 for line in text.splitlines())
    command = COMMAND
    for name in path:
        command = command.commands[name]
    first = (command.help or "").strip().splitlines()[0] if command.help else ""
    # the first sentence shows, markup-like text such as [server.auth.users] included
    words = " ".join(text.split())
    assert " ".join(first.split())[:40] in words, f"lost help text for {path}: {first!r}"


def test_hash_password_help_keeps_the_table_name():
    text = CliRunner().invoke(app, ["hash-password", "--help"]).stdout
    assert "[server.auth.users]" in text


def test_every_group_is_listed_in_the_main_help():
    text = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "100"}).stdout
    for name in ("serve", "status", "held", "queue", "report", "audit", "check-config"):
        assert name in text
