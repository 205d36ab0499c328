"""What every command shares: the --config option and turning errors into exit codes."""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

import typer

from gateway.config import ConfigError, Settings, config_path, load_config

ConfigOption = typer.Option(None, "--config", "-c", envvar="MAILSCREEN_CONFIG",
                            help="mailscreen.toml to use (default: $MAILSCREEN_CONFIG, "
                                 "else built-in defaults).")


def settings_or_exit(path) -> Settings:
    try:
        return load_config(config_path(path))
    except ConfigError as e:
        fail(str(e), code=2)


def fail(message: str, code: int = 1):
    typer.echo(f"mailscreen: {message}", err=True)
    raise typer.Exit(code)


class JsonFormatter(logging.Formatter):
    """One JSON object a line (log_format = "json"): the same message text as the plain
    format and nothing more, so what the plain log never shows (evidence, bodies,
    passwords) the JSON log does not either. The queue id, when a line starts with one,
    is given its own field for log search."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc)
                .isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": message}
        first = message.split(" ", 1)[0].rstrip(":")
        if len(first) == 16 and first.isalnum() and first.islower():
            line["queue_id"] = first
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def setup_logging(level: str, fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    # aiosmtpd logs every command line at INFO, AUTH exchanges included: keep it quiet.
    logging.getLogger("mail.log").setLevel(max(logging.WARNING, logging.getLogger().level))
