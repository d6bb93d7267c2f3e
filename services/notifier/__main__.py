"""`python -m services.notifier`: run the notifier (console and API on CROSSLINK_NOTIFIER_PORT,
8002; metrics on CROSSLINK_NOTIFIER_METRICS_PORT, 9102)."""

import uvicorn

from crosslink.logs import configure_logging
from services.notifier.app import create_app
from services.notifier.config import get_settings


def main() -> None:
    settings = get_settings()
    configure_logging("notifier", settings.log_level, settings.log_format)
    uvicorn.run(
        create_app(settings),
        host=settings.notifier_host,
        port=settings.notifier_port,
        log_config=None,
    )


if __name__ == "__main__":
    main()
