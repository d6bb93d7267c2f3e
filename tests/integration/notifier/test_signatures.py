"""Webhooks verify with the Standard Webhooks reference library, under either secret during a
rotation, and never under another district's secret."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from services.notifier.routing import delivery_id
from tests.builders import alert_raised
from tests.conftest import wait_for, webhook_secret
from tests.integration.notifier.conftest import NEW_SECRET, ROTATING_DISTRICT, Notifier

pytestmark = pytest.mark.integration


def delivered(notifier: Notifier, alert_id: str, district: str) -> tuple[bytes, dict[str, str]]:
    sent = delivery_id("webhook", alert_id, district, "alert")
    wait_for(lambda: notifier.receiver.processed_once(sent))
    [webhook] = notifier.receiver.requests_for(sent)
    return webhook.body, dict(webhook.headers)


def test_a_webhook_verifies_with_the_reference_library(notifier: Notifier) -> None:
    alert = alert_raised("KA-BLR")
    notifier.publish(alert)

    body, headers = delivered(notifier, alert.alert_id, "KA-BLR")

    payload = Webhook(webhook_secret("KA-BLR")).verify(body, headers)
    assert payload["data"]["alert_id"] == alert.alert_id


def test_during_a_rotation_both_the_new_and_the_old_secret_verify(notifier: Notifier) -> None:
    alert = alert_raised(ROTATING_DISTRICT)
    notifier.publish(alert)

    body, headers = delivered(notifier, alert.alert_id, ROTATING_DISTRICT)

    assert len(headers["webhook-signature"].split()) == 2
    for secret in (NEW_SECRET, webhook_secret(ROTATING_DISTRICT)):
        assert Webhook(secret).verify(body, headers)["data"]["alert_id"] == alert.alert_id


def test_another_districts_secret_verifies_none_of_a_districts_webhooks(
    notifier: Notifier,
) -> None:
    alert = alert_raised("KA-BLR", ROTATING_DISTRICT)
    notifier.publish(alert)
    secrets_of = {
        "KA-BLR": [webhook_secret("KA-BLR")],
        ROTATING_DISTRICT: [NEW_SECRET, webhook_secret(ROTATING_DISTRICT)],
    }

    for district, other in [("KA-BLR", ROTATING_DISTRICT), (ROTATING_DISTRICT, "KA-BLR")]:
        body, headers = delivered(notifier, alert.alert_id, district)
        for secret in secrets_of[other]:
            with pytest.raises(WebhookVerificationError):
                Webhook(secret).verify(body, headers)
