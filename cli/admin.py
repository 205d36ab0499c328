"""`mailscreen admin ...`: the review console's accounts."""
from __future__ import annotations

import typer

from cli.common import ConfigOption, fail, settings_or_exit
from cli.held import moderator
from gateway.control import user_groups
from gateway.passwords import hash_password
from gateway.quarantine.moderation import ModerationError

app = typer.Typer(no_args_is_help=True, help="Accounts of the review console (mailscreen web).")


@app.command()
def passwd(user: str = typer.Argument(..., metavar="USER"),
           password: str = typer.Option(..., "--password", prompt=True, hide_input=True,
                                        confirmation_prompt=True,
                                        help="The new password (asked for when not given)."),
           config=ConfigOption) -> None:
    """Set USER's password for the review console (kept as an scrypt hash). Root and the
    service user may set anyone's; an admin, through the running relay, only their own."""
    settings = settings_or_exit(config)
    if len(password) < 10:
        fail("the password must have at least 10 characters")
    if settings.admin.group not in user_groups(user) and user not in settings.web.readonly_users:
        fail(f"{user} is neither in the group {settings.admin.group!r} nor in "
             f"web.readonly_users: the console would not let them in")
    try:
        moderator(config, write=True).set_password(user, hash_password(password))
    except ModerationError as e:
        fail(str(e))
    typer.echo(f"password set for {user}")
