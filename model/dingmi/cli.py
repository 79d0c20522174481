"""Command line of dingmi (typer). Thin wrappers: the work happens in the library."""

from __future__ import annotations

from importlib.metadata import entry_points

import typer

app = typer.Typer(
    name="dingmi",
    help="定密辅助：依据保密事项范围提出密级、保密期限和国家秘密标志建议，由定密责任人审核确定。",
    no_args_is_help=True,
    add_completion=False,
)


def _register_plugins() -> None:
    """Let installed extras (service, scan…) add their commands without the core importing them."""
    for ep in entry_points(group="dingmi.commands"):
        try:
            register = ep.load()
        except ImportError:  # the extra's dependencies are not installed
            continue
        register(app)


def main() -> None:
    """Console-script entry point."""
    _register_plugins()
    app()
