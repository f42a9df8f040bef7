"""Calling the public booking API as an anonymous client would: JSON in and out, one IP."""

from __future__ import annotations

import json
from datetime import datetime

from django.test import Client

SLUG = "glow-test"
DETAILS = {"first_name": "Ava", "last_name": "Reyes", "phone": "(212) 555-0142", "email": "ava.reyes@example.com"}


class PublicApi:
    """An anonymous caller of /api/public/... from `ip`; keeps every response it got."""

    def __init__(self, ip: str = "198.51.100.20", slug: str = SLUG):
        self.client = Client(REMOTE_ADDR=ip, raise_request_exception=False)
        self.slug = slug
        self.responses: list = []

    def _keep(self, response):
        self.responses.append(response)
        return response

    def get(self, path: str, query: dict | None = None):
        return self._keep(self.client.get(f"/api/public/{path}", query or {}))

    def send(self, method: str, path: str, body: dict, **headers):
        send = getattr(self.client, method)
        return self._keep(send(f"/api/public/{path}", json.dumps(body), "application/json", headers=headers))

    def services(self, **query):
        return self.get(f"{self.slug}/services", query)

    def practitioners(self, **query):
        return self.get(f"{self.slug}/practitioners", query)

    def availability(self, service_ids, **query):
        return self.get(f"{self.slug}/availability", {"service_ids": [str(s) for s in service_ids], **query})

    def hold(self, service_id, start: datetime | str, **extra):
        body = {"service_ids": [str(service_id)], "start": str(start if isinstance(start, str) else start.isoformat())}
        return self.send("post", f"{self.slug}/holds", {**body, **extra})

    def book(self, token: str, key: str | None = None, **overrides):
        body = {"hold_token": token, **DETAILS, "accept_policy": True, **overrides}
        headers = {"Idempotency-Key": key} if key else {}
        return self.send("post", f"{self.slug}/bookings", body, **headers)

    def pay(self, token: str, outcome: str = "approve"):
        return self.send("post", f"{self.slug}/deposits", {"hold_token": token, "outcome": outcome})

    def manage(self, token: str):
        return self.get(f"bookings/{token}")

    def cancel(self, token: str, **body):
        return self.send("delete", f"bookings/{token}", body)

    def reschedule(self, token: str, start: datetime):
        return self.send("post", f"bookings/{token}/reschedule", {"start": start.isoformat()})

    def waitlist(self, service_id, date_from, date_to, **overrides):
        body = {
            "service_id": str(service_id),
            **DETAILS,
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            **overrides,
        }
        return self.send("post", f"{self.slug}/waitlist", body)

    def booked(self, service_id, start: datetime, **details) -> dict:
        """Hold and book in one go; the booking response's body (asserting each step)."""
        held = self.hold(service_id, start)
        assert held.status_code == 201, held.content
        done = self.book(held.json()["hold_token"], **details)
        assert done.status_code == 201, done.content
        return done.json()


def starts(body: dict) -> list[str]:
    """Every start time offered in an availability response."""
    return [t["start"] for day in body["days"] for t in day["times"]]
