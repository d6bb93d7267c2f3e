"""What every crosslink API puts in front of its routes: the live districts directory (keys
revoked without a restart), a rate limit per key, a body size limit and Idempotency-Key.
One place, so intake and the notifier guard themselves the same way."""

from __future__ import annotations

import asyncio
import signal

from fastapi import FastAPI

from crosslink.directory import LiveDirectory
from crosslink.idempotency import IdempotencyKeys
from crosslink.limits import BodySizeLimit, RateLimiter, RequestTimeout
from crosslink.settings import CommonSettings


class DemoDirectoryRefused(ValueError):
    """Production was started with the demo districts directory."""


def install_guards(app: FastAPI, settings: CommonSettings) -> LiveDirectory:
    """Attach the guards to `app`; returns the live directory for the service's own use."""
    directory = LiveDirectory(
        settings.districts_file, check_interval_s=settings.directory_check_interval_s
    )
    if settings.env == "production" and directory.current().demo:
        raise DemoDirectoryRefused(
            f"{settings.districts_file} is a demo directory (its keys are public); set "
            "CROSSLINK_DISTRICTS_FILE to the real districts directory"
        )
    app.state.directory = directory
    app.state.rate_limiter = RateLimiter(
        per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst
    )
    # Added last, so outermost: a body too large is refused before anything else reads it.
    app.add_middleware(RequestTimeout, timeout_s=settings.request_timeout_s)
    app.add_middleware(IdempotencyKeys, ttl_s=settings.idempotency_ttl_s)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return directory


def reload_on_sighup(directory: LiveDirectory) -> None:
    """`kill -HUP <pid>` reloads the districts file at once (call from the app's lifespan)."""
    asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, directory.reload)
