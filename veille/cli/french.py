"""The command line's own texts in French: Typer's help pages and usage errors.

Typer 0.29 vendors Click, whose messages are English literals in its code (only a handful go
through gettext, so no message catalogue can reach them). They are replaced here, in the one
place where the command is set up, without touching the commands themselves:

* help pages: the panel titles and notes are Typer's ``rich_utils`` settings; on every command
  of the tree, ``frenchify`` puts the usage line's prefix in French (« Utilisation : »), the
  help option's text (« Affiche cette aide et quitte. »), and French value placeholders where
  Typer would show Python type names (``<bool>`` for a flag: nothing; ``<str>``: ``TEXTE``,
  ``<int>``: ``ENTIER``, ``<path>``: ``FICHIER``; arguments by name: ``NOM``, ``SOURCE…``);
* errors: ``run`` calls the command with ``standalone_mode=False`` and prints Click's usage
  errors itself, in French, on stderr (usage line, help hint, « Erreur : … ») with Click's exit
  code (2 for bad usage), instead of the English panel.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
import typer.main
from rich.console import Console
from rich.markup import escape
from typer import rich_utils
from typer._click import exceptions as click_errors
from typer.core import TyperArgument, TyperOption

__all__ = ["frenchify", "run"]

HELP_OPTION = "Affiche cette aide et quitte."
USAGE = "Utilisation : "
ARGUMENTS = {"name": "NOM", "feed_ids": "SOURCE", "file": "FICHIER"}
TYPES: dict[Any, str] = {str: "TEXTE", int: "ENTIER", float: "NOMBRE", Path: "FICHIER"}

# Typer's settings for its rich help pages (read when a page is printed).
_RICH_TEXTS = {
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commandes",
    "ERRORS_PANEL_TITLE": "Erreur",
    "ABORTED_TEXT": "Interrompu.",
    "RICH_HELP": "Aide : [blue]{command_path} {help_option}[/]",
    "DEFAULT_STRING": "[par défaut : {}]",
    "ENVVAR_STRING": "[variable d'environnement : {}]",
    "REQUIRED_LONG_STRING": "[obligatoire]",
    "DEPRECATED_STRING": "(obsolète) ",
}

# Pydantic's messages for a value Typer could not convert (the most common ones).
_VALUE_ERRORS = (
    ("valid integer", "nombre entier attendu"),
    ("valid number", "nombre attendu"),
    ("valid boolean", "oui/non attendu"),
    ("greater than or equal to", "valeur trop petite"),
    ("less than or equal to", "valeur trop grande"),
)


_CLASSES: dict[type, type] = {}


def _french_class(cls: type) -> type:
    """``cls`` with its English texts replaced (same layout: Click's objects have slots, so the
    subclass adds none and an instance can switch to it)."""
    if cls not in _CLASSES:
        namespace: dict[str, Any] = {"__slots__": ()}
        if issubclass(cls, TyperArgument):
            # the name column shows the French placeholder: no Python type beside it
            namespace["display_type_rich"] = lambda self, ctx: ""
        else:

            def get_usage(self: Any, ctx: Any) -> str:
                return str(cls.get_usage(self, ctx)).replace("Usage: ", USAGE, 1)  # type: ignore[attr-defined]

            def get_help_option(self: Any, ctx: Any) -> Any:
                option = cls.get_help_option(self, ctx)  # type: ignore[attr-defined]
                if option is not None:
                    option.help, option.metavar = HELP_OPTION, ""
                return option

            namespace |= {"get_usage": get_usage, "get_help_option": get_help_option}
        _CLASSES[cls] = type(f"French{cls.__name__}", (cls,), namespace)
    return _CLASSES[cls]


def _placeholder(param: Any) -> str | None:
    if isinstance(param, TyperArgument):
        return ARGUMENTS.get(param.name or "", (param.name or "").upper())
    if isinstance(param, TyperOption):
        if param.is_flag:
            return ""
        annotation = param.type_descriptor.annotation
        return TYPES.get(annotation)
    return None


def frenchify(command: Any) -> Any:
    """Every command of the tree (``typer.main.get_command(app)``) speaks French; returns it."""
    for name, value in _RICH_TEXTS.items():
        setattr(rich_utils, name, value)
    command.__class__ = _french_class(type(command))
    command.options_metavar = "[OPTIONS]"
    if hasattr(command, "subcommand_metavar"):
        command.subcommand_metavar = "COMMANDE [ARGUMENTS]…"
    for param in command.params:
        if param.metavar is None:
            param.metavar = _placeholder(param)
        if isinstance(param, TyperArgument):
            param.__class__ = _french_class(type(param))
    for sub in getattr(command, "commands", {}).values():
        frenchify(sub)
    return command


def run(app: typer.Typer, args: list[str] | None = None) -> NoReturn:
    """Run the CLI; Click's usage errors are told in French (see the module docstring)."""
    command = frenchify(typer.main.get_command(app))
    try:
        code = command.main(args=args, prog_name="veille", standalone_mode=False)
    except click_errors.NoArgsIsHelpError:
        sys.exit(2)  # the help page is already printed
    except click_errors.ClickException as e:
        _show(e)
        sys.exit(e.exit_code)
    except typer.Abort:
        Console(stderr=True).print("Interrompu.", style="red")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _show(error: click_errors.ClickException) -> None:
    console = Console(stderr=True, soft_wrap=True, highlight=False)
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        console.print(escape(ctx.get_usage()))
        console.print(f"Aide : {escape(ctx.command_path)} --help", style="dim")
    console.print(f"Erreur : {escape(message(error))}", style="red")


def message(error: click_errors.ClickException) -> str:
    """Click's message for ``error``, in French."""
    ctx = getattr(error, "ctx", None)
    if isinstance(error, click_errors.NoSuchOption):
        text = f"option inconnue : {error.option_name}"
        if error.possibilities:
            text += f" (vouliez-vous dire {' ou '.join(sorted(error.possibilities))} ?)"
        return text
    if isinstance(error, click_errors.MissingParameter):
        param = error.param
        if isinstance(param, TyperArgument):
            return f"argument obligatoire manquant : {param.metavar or param.name}"
        if isinstance(param, TyperOption):
            return f"option obligatoire manquante : {' / '.join(param.opts)}"
        return "paramètre obligatoire manquant"
    if isinstance(error, click_errors.BadParameter):
        param = error.param
        where = ""
        if isinstance(param, TyperOption):
            where = f" pour {' / '.join(param.opts)}"
        elif isinstance(param, TyperArgument):
            where = f" pour {param.metavar or param.name}"
        reason = next((fr for en, fr in _VALUE_ERRORS if en in error.message), error.message)
        return f"valeur invalide{where} : {reason}"
    text = error.message
    if found := re.fullmatch(r"No such command '(.*)'\.", text):
        known = ", ".join(sorted(getattr(ctx.command, "commands", {}))) if ctx else ""
        return f"commande inconnue : « {found[1]} »" + (f" (commandes : {known})" if known else "")
    if text == "Missing command.":
        return "commande manquante"
    if found := re.fullmatch(r"Got unexpected extra argument\(s\) \((.*)\)", text):
        return f"argument en trop : {found[1]}"
    if found := re.fullmatch(r"Option '(.*)' requires .*", text):
        return f"l'option {found[1]} attend une valeur"
    if found := re.fullmatch(r"Option '(.*)' does not take a value\.", text):
        return f"l'option {found[1]} ne prend pas de valeur"
    return text
