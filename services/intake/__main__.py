"""`python -m services.intake`: serve intake on CROSSLINK_INTAKE_PORT (default 8000)."""

import uvicorn

from crosslink.logs import configure_logging
from services.intake.app import create_app
from services.intake.config import get_settings


def main() -> None:
    settings = get_settings()
    configure_logging("intake", settings.log_level, settings.log_format)
    uvicorn.run(
        create_app(settings), host=settings.intake_host, port=settings.intake_port, log_config=None
    )


if __name__ == "__main__":
    main()
