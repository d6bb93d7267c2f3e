"""JSON logs for every service: one object per line, the service name on each.

Only tokens, masked forms, ids and district codes are ever logged, never a raw identifier.
"""

from __future__ import annotations

import logging.config
from typing import Any

import structlog

# kafka-python narrates every connection at INFO; its warnings and errors still come through.
_QUIET_LOGGERS = ("kafka", "aiokafka.conn")


def logging_config(service: str, level: str = "INFO") -> dict[str, Any]:
    """A logging.config dictConfig that renders stdlib and structlog records as JSON lines."""
    pre_chain: list[structlog.typing.Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        lambda _logger, _name, event: {"service": service, **event},
    ]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": pre_chain,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer(ensure_ascii=False),
                ],
            }
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {name: {"level": "WARNING"} for name in _QUIET_LOGGERS},
    }


def configure_logging(service: str, level: str = "INFO") -> None:
    """Apply logging_config() to this process."""
    logging.config.dictConfig(logging_config(service, level))
