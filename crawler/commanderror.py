"""How a command of `newsarchive` ends on a user's mistake: `CommandError`, one line saying what is wrong, a hint
saying what to do, and the exit code of its `archive.runstatus.RunStatus`, never a traceback.

Light on purpose: the command line imports it at start, and so does every extraction worker (the forkserver
imports the crawler's main module), so it loads neither Scrapy nor the database code.
"""

from __future__ import annotations

from typing import IO, Any

import click

from archive.runstatus import RunStatus, exit_code


class CommandError(click.ClickException):
    """A mistake or a condition that ends a command: `error: <message>`, `hint: <hint>`, the status's exit code."""

    def __init__(self, message: str, status: RunStatus = RunStatus.CONFIG_ERROR, hint: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.hint = hint
        self.exit_code = int(exit_code(status))

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.message}", err=True)
        if self.hint:
            click.echo(f"hint: {self.hint}", err=True)


class Commands(click.Group):
    """The command group: a bad setting or profile met by any command is a `CommandError`, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own way out (a subcommand's --help included)
        except Exception as exc:
            # Imported here, not above: a command that raised either has loaded its module already.
            from crawler.settingcheck import SettingError
            from crawler.sites import ProfileError

            if isinstance(exc, SettingError):
                raise CommandError(str(exc), hint="see README.md, Settings, for each setting's type") from None
            if isinstance(exc, ProfileError):
                raise CommandError(str(exc), hint="see docs/site-profiles.md") from None
            raise
