"""A district without a webhook server gets its alerts by email, through a real SMTP server."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from crosslink.i18n import translator
from crosslink.reasons import reason_of
from tests.builders import alert_raised
from tests.conftest import contact_address, wait_for
from tests.integration.notifier.conftest import EMAIL_DISTRICT, MARATHI_DISTRICT, Notifier

pytestmark = pytest.mark.integration


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no {subtype} body"
    content: str = part.get_content()
    return content


def test_an_alert_arrives_by_email_with_its_subject_and_no_raw_identifier(
    notifier: Notifier,
) -> None:
    alert = alert_raised(EMAIL_DISTRICT, "KA-BLR")

    notifier.publish(alert)

    def mail() -> list[EmailMessage]:
        return [m for m in notifier.mailbox.messages if alert.alert_id in body(m, "plain")]

    wait_for(mail)
    [message] = mail()
    assert message["To"] == contact_address(EMAIL_DISTRICT)
    # The subject travels RFC 2047-encoded ("•" is not ASCII); Python's decoder doubles the
    # space before an encoded word, which mail clients do not.
    assert " ".join(message["Subject"].split()) == (
        "[crosslink] Identifier shared with other complaints: phone +91 98•••••210"
    )
    for content in (body(message, "plain"), body(message, "html")):
        assert "+91 98•••••210" in content
        assert alert.about.token not in content
        assert alert.cases[1].complaint_id in content  # the other district's case, to follow up

    notifier.wait_for_delivery(EMAIL_DISTRICT, alert.alert_id, "delivered", channel="email")
    item = notifier.inbox_item(EMAIL_DISTRICT, alert.alert_id).json()
    assert [d["channel"] for d in item["deliveries"]] == ["email"]


def test_a_district_whose_language_is_marathi_gets_its_email_in_marathi(
    notifier: Notifier,
) -> None:
    alert = alert_raised(MARATHI_DISTRICT, "KA-BLR")
    marathi = translator("mr")

    notifier.publish(alert)

    def mail() -> list[EmailMessage]:
        return [m for m in notifier.mailbox.messages if alert.alert_id in body(m, "plain")]

    wait_for(mail)
    [message] = mail()
    assert message["Content-Language"] == "mr"
    title = marathi.gettext("Identifier shared with other complaints")
    assert title != "Identifier shared with other complaints"
    phone = marathi.gettext("phone")
    assert " ".join(message["Subject"].split()) == f"[crosslink] {title}: {phone} +91 98•••••210"
    for content in (body(message, "plain"), body(message, "html")):
        assert reason_of(alert, marathi) in content  # worded from the alert's facts
        assert alert.reason not in content  # not the English sentence
        assert marathi.gettext("Your complaints") in content
        assert "Your complaints" not in content
        assert alert.about.token not in content
