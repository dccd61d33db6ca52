"""Logging that never shows the bot token, and (unless LOG_UPDATE_BODIES is set) no update's content.

At DEBUG, python-telegram-bot logs every update it receives and every call it makes with its parameters
(names, chat ids, the message text, the answer). `HideBodies` keeps the line and replaces those arguments.

`LOG_FORMAT=json`: one JSON object a line (time, level, logger, message, and the exception when there is one),
for a log collector; the same filters run first, so it holds no more than the text lines do."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactFilter(logging.Filter):
    """Replaces the token wherever it appears in a record (message, arguments, exception text)."""

    def __init__(self, secret: str):
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secret:
            return True
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            message += "\n" + record.exc_text
            record.exc_text = None
        record.msg = message.replace(self.secret, "[token]")
        record.args = ()
        return True


HIDDEN = "[content hidden: LOG_UPDATE_BODIES=false]"
_HARMLESS = re.compile(r"^[\w.:/`-]{0,64}$")  # method names, ids and the like: kept


class HideBodies(logging.Filter):
    """In python-telegram-bot's own lines, every argument but a number or a short name is replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("telegram") or not record.args:
            return True
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        record.args = tuple(a if isinstance(a, int | float) or (isinstance(a, str) and _HARMLESS.match(a))
                            else HIDDEN for a in args)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def bodies_warning(level: str, log_bodies: bool) -> str | None:
    """The start-up warning when the log will hold what users wrote."""
    if logging.getLevelName(level.upper()) == logging.DEBUG and log_bodies:
        return ("LOG_LEVEL=DEBUG with LOG_UPDATE_BODIES=true: every update (names, chat ids, message text) and "
                "every answer is written to the log")
    return None


def configure(level: str = "INFO", secret: str | None = None, stream=None, *, log_bodies: bool = False,
              json_lines: bool = False) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(FORMAT))
    if not log_bodies:
        handler.addFilter(HideBodies())  # before the redaction, which folds the arguments into the message
    if secret:
        handler.addFilter(RedactFilter(secret))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # httpx logs every request URL at INFO, and Bot API URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
