"""Email delivery through the outbox (console backend locally, SMTP in production).

Payload: `to`, `subject`, `body` (`{base_url}` is replaced by SITE_URL) and optional
`attachments`, each `{"filename", "content" (text), "mimetype"}` (calendar invitations)."""

from django.conf import settings
from django.core.mail import EmailMessage

from medspa.core.models import OutboxMessage
from medspa.core.outbox import outbox_handler


@outbox_handler("email.send")
def deliver_email(message: OutboxMessage) -> None:
    """Send one email; the outbox id is the Message-ID so a resend can be deduplicated."""
    payload = message.payload
    body = payload["body"].replace("{base_url}", settings.SITE_URL)
    email = EmailMessage(
        subject=payload["subject"],
        body=body,
        to=payload["to"],
        headers={"Message-ID": f"<{message.pk}@medspa>"},
    )
    for attachment in payload.get("attachments", []):
        email.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    email.send(fail_silently=False)
