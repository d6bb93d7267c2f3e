"""`python -m services.matcher`: run the matcher worker (metrics on CROSSLINK_MATCHER_PORT)."""

import gc

import faust

from crosslink.logs import configure_logging, logging_config
from services.matcher.app import create_app, prepare
from services.matcher.config import get_settings
from services.matcher.restore import restore_tables


def main() -> None:
    settings = get_settings()
    configure_logging("matcher", settings.log_level, settings.log_format)
    prepare(settings)
    app = create_app(settings)
    worker = faust.Worker(
        app,
        loglevel=settings.log_level,
        # faust would otherwise install its own coloured text logging over ours.
        logging_config=logging_config("matcher", settings.log_level, settings.log_format),
        redirect_stdouts=False,
    )
    # At WARNING and above faust keeps its terminal spinner, which sets the root logger to
    # DEBUG so that every record spins it: faust and aiokafka then build a debug record for
    # each event sent. Without the spinner the root logger keeps our level.
    worker.spinner = None
    # On the worker's own loop, before faust's recovery (which reads one record at a time).
    worker.loop.run_until_complete(restore_tables(app.tables.values(), settings.kafka))
    # Start-up leaves about 100,000 objects that live as long as the process (modules, pydantic
    # schemas, faust's services). Frozen, a full garbage collection no longer walks them: one
    # took 50 to 80 ms of the matcher's CPU before, a few ms after (docs/bench/tuning.md).
    gc.freeze()
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
