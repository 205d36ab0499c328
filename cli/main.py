"""The `mailscreen` command: mounts the commands, holds no logic of its own."""
import typer

from cli import scan, serve

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="mailscreen: outbound mail screening gateway for aesthetics clinics.")
app.command("serve")(serve.serve)
app.command("check-config")(serve.check_config)
app.command("hash-password")(serve.hash_password)
app.command("scan")(scan.scan)

if __name__ == "__main__":
    app()
