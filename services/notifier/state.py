"""What the notifier's routes and console reach at request time, as one typed object (intake
has its own `Intake`). Built once at start-up by the composition root (services/notifier/app.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request

from services.notifier.config import NotifierSettings
from services.notifier.console.signouts import SignedOut
from services.notifier.dispatcher import Dispatcher
from services.notifier.gangs import Gangs
from services.notifier.lookups import Lookups
from services.notifier.metrics import NotifierMetrics
from services.notifier.store.audit import AuditLog
from services.notifier.store.feedback import Feedback
from services.notifier.store.imports import Imports
from services.notifier.store.inbox import Inbox
from services.notifier.store.officers import Officers
from services.notifier.store.outbox import Outbox
from services.notifier.withdrawing import LinkWithdrawals


@dataclass(frozen=True)
class Notifier:
    settings: NotifierSettings
    outbox: Outbox
    inbox: Inbox
    dispatcher: Dispatcher
    signed_out: SignedOut  # console sessions signed out before they expire
    officers: Officers
    audit: AuditLog
    feedback: Feedback  # officers' word on links
    imports: Imports  # back-fills' ends and links, for their digests
    withdrawals: LinkWithdrawals  # "not linked", to the matcher
    lookups: Lookups  # relayed to intake
    gangs: Gangs  # read from the matcher
    metrics: NotifierMetrics
    consuming: asyncio.Event  # set while the alert consumer runs: the notifier is ready


def notifier_of(request: Request) -> Notifier:
    return cast(Notifier, request.app.state.notifier)


NotifierDep = Annotated[Notifier, Depends(notifier_of)]
