"""The CLI reference (docs/cli.md), generated from ``--help``: ``python -m curate.clidoc > docs/cli.md``."""

from __future__ import annotations

import click


def render() -> str:
    """Markdown with the ``--help`` text of ``curate`` and each of its commands."""
    from curate.cli import cli

    parts = [
        "# CLI reference",
        "",
        "Generated from `--help` by `python -m curate.clidoc > docs/cli.md`; a test keeps it current.",
        "",
    ]
    settings = {**cli.context_settings, "terminal_width": 100, "max_content_width": 100}
    ctx = click.Context(cli, info_name="curate", **settings)
    parts += ["## curate", "", "```", cli.get_help(ctx), "```", ""]
    for name in sorted(cli.list_commands(ctx)):
        command = cli.get_command(ctx, name)
        assert command is not None
        sub = click.Context(command, info_name=f"curate {name}", **settings)
        parts += [f"## curate {name}", "", "```", command.get_help(sub), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
