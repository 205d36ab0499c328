"""`mailscreen keys rotate`: a new key for the audit chain and the patient register."""
from __future__ import annotations

import typer

from cli.common import (
    ConfigOption,
    fail,
    owner_or_exit,
    settings_or_exit,
    store_or_exit,
)
from gateway.database import audit
from gateway.keys import KeyFileError

app = typer.Typer(no_args_is_help=True,
                  help="The secret keys of the audit chain and the patient register.")


@app.command()
def rotate(reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
           config=ConfigOption) -> None:
    """Add a new key to the key file and use it from now on. Old keys stay, so the rows
    they signed still verify; the patient register uses the new key from its next import.
    The new key's fingerprint goes into the database: every other node on it needs the
    new key file before it can start again. Run it as the service user or root: it writes
    the key file."""
    settings = settings_or_exit(config)
    owner_or_exit(settings)
    store = store_or_exit(settings)
    try:
        kid = store.keyring.rotate()
        audit.check_key(store)  # records the new key's fingerprint for the other nodes
    except OSError as e:
        fail(f"cannot write the key file {store.keyring.path}: {e.strerror}")
    except KeyFileError as e:  # another node rotated at the same moment
        fail(str(e))
    audit.record(store, "key_rotate", [], reason, key=kid)
    path = store.keyring.path
    typer.echo(f"key {kid} is now current in {path}.\n"
               f"Other nodes on this database need this key file: unless admin.key_file is "
               f"on storage they all share, copy it to each (scp {path} NODE:{path}, owned "
               f"by the service user, mode 600) and restart them; a node without key {kid} "
               f"refuses to start.\n"
               f"Then re-import the patient register to key it with the new key.")
