"""Alert emails: a subject an officer can triage from, plain text and HTML, no token."""

from __future__ import annotations

from email.message import EmailMessage

from crosslink.i18n import translator
from crosslink.reasons import reason_of
from services.notifier.emails import alert_email
from services.notifier.routing import district_view
from tests.builders import alert_raised
from tests.unit.test_routing import alert, case


def render(purpose: str = "alert") -> EmailMessage:
    raised = alert(case("MH-MUM", "MUM-1"), case("MP-BPL", "BPL-7"))
    return alert_email(
        district_view(raised, "MH-MUM"),
        purpose="reminder" if purpose == "reminder" else "alert",
        sender="crosslink <alerts@example.gov.in>",
        to=["cell@mumbai.example"],
        message_id="mail_1",
    )


def bodies(message: EmailMessage) -> tuple[str, str]:
    text, html = (part.get_content() for part in message.iter_parts())
    return text, html


def test_the_subject_names_the_kind_and_the_masked_identifier() -> None:
    message = render()

    assert message["Subject"] == (
        "[crosslink] Identifier shared with other complaints: phone +91 98•••••210"
    )
    assert message["Message-ID"] == "<mail_1@crosslink>"


def test_both_bodies_name_the_cases_and_never_the_token() -> None:
    text, html = bodies(render())

    for body in (text, html):
        assert "MUM-1" in body
        assert "BPL-7 in MP-BPL" in body
        assert "+91 98•••••210" in body
        assert '"t"' not in body
        assert "token" not in body


def test_a_reminder_says_nobody_acknowledged_it() -> None:
    message = render("reminder")
    text, _ = bodies(message)

    assert "Reminder, not yet acknowledged" in message["Subject"]
    assert text.startswith("REMINDER")


def test_the_html_body_escapes_what_it_quotes() -> None:
    raised = alert(case("MH-MUM", "<script>x</script>"))
    message = alert_email(
        district_view(raised, "MH-MUM"), purpose="alert", sender="a@b.example",
        to=["c@d.example"], message_id="m",
    )  # fmt: skip
    _, html = bodies(message)

    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_an_email_in_marathi_has_its_subject_reason_and_headings_in_marathi() -> None:
    marathi = translator("mr")
    view = district_view(alert_raised("MH-MUM", "MP-BPL"), "MH-MUM")

    message = alert_email(
        view, purpose="alert", sender="a@b.example", to=["c@d.example"], message_id="m",
        language="mr",
    )  # fmt: skip
    text, html = bodies(message)

    title = marathi.gettext("Identifier shared with other complaints")
    assert message["Subject"].startswith(f"[crosslink] {title}: ")
    assert message["Content-Language"] == "mr"
    assert '<html lang="mr">' in html
    for body in (text, html):
        assert reason_of(view, marathi) in body
        assert marathi.gettext("Your complaints") in body
        assert "Your complaints" not in body
