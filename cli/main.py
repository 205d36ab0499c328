"""The `mailscreen` command: mounts the commands, holds no logic of its own."""
import os
import sys

import typer
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from cli import (
    admin,
    audit,
    held,
    keys,
    patients,
    queue,
    report,
    scan,
    serve,
    staff,
    status,
    web,
    works,
)


class Commands(TyperGroup):
    """Every command, run so that output piped into `head` ends quietly."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # the reader of stdout left (`mailscreen held list | head -1`): stop as a
            # program killed by SIGPIPE does, with no traceback and nothing more written
            # (the recipe of Python's signal docs; the admin socket never raises this here)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)


app = typer.Typer(cls=Commands, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False,
                  help="mailscreen: outbound mail screening gateway for aesthetics clinics.")
app.command("serve")(serve.serve)
app.command("check-config")(serve.check_config)
app.command("hash-password")(serve.hash_password)
app.command("scan")(scan.scan)
app.command("status")(status.status)
app.add_typer(held.app, name="held")
app.add_typer(queue.app, name="queue")
app.add_typer(audit.app, name="audit")
app.add_typer(keys.app, name="keys")
app.add_typer(report.app, name="report")
app.add_typer(works.app, name="works")
app.add_typer(patients.app, name="patients")
app.add_typer(staff.app, name="staff")
app.add_typer(admin.app, name="admin")
app.command("web")(web.web)



def main() -> None:
    """The console script: errors of the database or the disk become one line and exit 1."""
    try:
        app()
    except SQLAlchemyError as e:
        typer.echo(f"mailscreen: database error: {getattr(e, 'orig', None) or e}", err=True)
        sys.exit(1)
    except OSError as e:
        typer.echo(f"mailscreen: {e.strerror or e}: {e.filename or ''}".rstrip(": "), err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
