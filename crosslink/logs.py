"""Logs for machines and for people: JSON lines when read by a program, a short coloured line
per event on a terminal. The service name is on each.

Only tokens, masked forms, ids and district codes are ever logged, never a raw identifier.
"""

from __future__ import annotations

import logging.config
import sys
from typing import Any, Literal

import structlog

LogFormat = Literal["auto", "json", "console"]
# kafka-python narrates every connection at INFO; its warnings and errors still come through.
_QUIET_LOGGERS = ("kafka", "aiokafka.conn")
# On a terminal, a person reads crosslink's own events: the frameworks' INFO narration
# (faust's recovery tables, aiokafka's group joins, uvicorn's requests) stays in the JSON logs.
_CHATTY_ON_A_TERMINAL = ("faust", "mode", "aiokafka", "uvicorn.access")


def for_people(log_format: LogFormat) -> bool:
    """Whether to write lines for a person: `console`, or `auto` with stderr a terminal."""
    return log_format == "console" or (log_format == "auto" and sys.stderr.isatty())


def logging_config(
    service: str, level: str = "INFO", log_format: LogFormat = "auto"
) -> dict[str, Any]:
    """A logging.config dictConfig that renders stdlib and structlog records in `log_format`."""
    people = for_people(log_format)
    pre_chain: list[structlog.typing.Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="%H:%M:%S" if people else "iso", utc=not people),
        lambda _logger, _name, event: {"service": service, **event},
    ]
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer(colors=True, pad_event_to=32)
        if people
        else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    quiet = _QUIET_LOGGERS + (_CHATTY_ON_A_TERMINAL if people else ())
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "crosslink": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": pre_chain,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    *([] if people else [structlog.processors.format_exc_info]),
                    renderer,
                ],
            }
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "crosslink"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {name: {"level": "WARNING"} for name in quiet},
    }


def configure_logging(service: str, level: str = "INFO", log_format: LogFormat = "auto") -> None:
    """Apply logging_config() to this process."""
    logging.config.dictConfig(logging_config(service, level, log_format))
