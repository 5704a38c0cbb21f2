"""Command-line interface: parses arguments, calls the public API, prints, sets the exit code.

Exit codes, one policy for every command:

* 0: every input was read (and, for ``validate``, no file has findings at error level);
* 1: ``validate`` only: some file has findings at error level;
* 2: some input could not be read (each is named, and the others are still processed and
  written), no input was found at all, a list, reference or profile given cannot be used, a
  campaign store or campaign named cannot be used, the Dask cluster named with
  ``--scheduler`` cannot be used, an output cannot be written, or the
  command line is wrong;
* 130: interrupted (Ctrl-C).

An unexpected failure ends in one line naming the command and its inputs and asking for a
report; ``--debug`` shows the traceback as well.

The parser (:mod:`._parser`) is argparse alone; each command is a module of this package
(``read``, ``validate``, ``smelters``, ``consolidate``, ``report``, ``eu``, ``upstream``,
``campaign``) that takes the parsed arguments, calls the public API, prints and returns the
exit code. A command's module, and the library behind it, is imported only when that command
runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import MineralComplianceError
from ._parser import _commands as _commands
from ._parser import _parser as _parser
from ._parser import shown_help

__all__ = ["DEMO_DIR", "EXIT_CODES", "main", "render_cli_reference"]

EXIT_CODES = (
    (0, "every input was read (and, for `validate`, no file has findings at error level)"),
    (1, "`validate` only: some file has findings at error level"),
    (2, "some input could not be read (each is named; the others are still processed and "
        "their outputs written), no input was found at all, a list, reference or profile "
        "given cannot be used, a campaign store or campaign named cannot be used, the Dask "
        "cluster named with `--scheduler` cannot be used, an output cannot be written, or "
        "the command line is wrong"),
    (130, "interrupted (Ctrl-C); nothing half-written is left"),
)
"""The exit-code policy of every command, as ``docs/cli.md`` lists it."""

_PACKAGED_DEMO = Path(__file__).resolve().parents[1] / "demo"
_SOURCE_DEMO = Path(__file__).resolve().parents[3] / "fixtures" / "demo"
DEMO_DIR = _PACKAGED_DEMO if _PACKAGED_DEMO.is_dir() else _SOURCE_DEMO
"""The synthetic supplier templates shipped with the package (``fixtures/demo`` in a checkout)."""


def render_cli_reference() -> str:
    """``docs/cli.md``: every command with its arguments, from the parser itself."""
    home = str(Path.home())
    lines = ["# Command-line reference", "",
             "Generated from the command's own parser (`python scripts/export_docs.py`); do not "
             "edit by hand. `mineral-compliance COMMAND --help` prints the same.", "",
             "## Exit codes", "", "The same for every command:", "",
             "| code | meaning |", "|---|---|"]
    lines += [f"| {code} | {meaning} |" for code, meaning in EXIT_CODES]
    lines += ["", "An unexpected failure (a bug) ends in one line naming the command and its "
              "inputs; `--debug`, before or after the command name, shows the traceback too.",
              ""]
    for words, text, parser in _commands(_parser()):
        lines += [f"## `mineral-compliance {' '.join(words)}`", "", text[:1].upper() + text[1:]
                  + ("." if text and not text.endswith(".") else ""), "",
                  "| argument | meaning |", "|---|---|"]
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if action.option_strings:
                name = ", ".join(action.option_strings)
                if action.nargs != 0:
                    name += f" {action.metavar or action.dest.upper()}"
            else:
                name = action.dest + (" ..." if action.nargs in ("*", "+") else "")
            parts = [shown_help(action).replace("|", "\\|")]
            if action.choices:
                parts.append(f"One of: {', '.join(map(str, action.choices))}")
            if action.required and action.option_strings:
                parts.append("Required")
            if isinstance(action, argparse._AppendAction) and "repeatable" not in parts[0]:
                parts.append("Repeatable")
            if (action.default not in (None, False, [], "") and action.nargs != 0
                    and "default" not in parts[0]):
                parts.append(f"Default: `{str(action.default).replace(home, '~')}`")
            meaning = ". ".join(p.strip().rstrip(".") for p in parts if p.strip())
            meaning += "." if meaning else ""
            lines.append(f"| `{name}` | {meaning.strip()} |")
        lines.append("")
    return "\n".join(lines)


def _named_inputs(args: argparse.Namespace) -> str:
    """The inputs of a command line, for a message about it."""
    named: list[str] = []
    for attr in ("file", "paths", "rows", "template", "consolidation", "imports"):
        value = getattr(args, attr, None)
        if isinstance(value, (list, tuple)):
            named.extend(str(v) for v in value)
        elif value is not None:
            named.append(str(value))
    if getattr(args, "campaign_command", None):  # the store's URL may hold a password
        campaign = getattr(args, "campaign", None) or getattr(args, "name", None)
        named.append("the campaign store" + (f" (campaign {campaign})" if campaign else ""))
    return ", ".join(named) or "the embedded demo data"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mineral-compliance`` command."""
    args = _parser().parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    try:
        module, _, name = args.run.partition(":")
        run: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(f".{module}", __name__), name)
        return run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except MineralComplianceError as exc:  # one a command did not handle itself
        if debug:
            import traceback

            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader of our output (``| head``) went away: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # a bug of ours: one line, the traceback only when asked
        if debug:
            import traceback

            traceback.print_exc()
        detail = "" if debug else " (run again with --debug for the traceback)"
        print(f"error: unexpected {type(exc).__name__} in 'mineral-compliance {args.command}' "
              f"on {_named_inputs(args)}: {exc}. This is a bug in mineral-compliance: please "
              f"report it with the command line and, if you can, the input{detail}",
              file=sys.stderr)
        return 2
