"""The waitlist: when time frees up (a cancellation, a no-show, a move), entries that match
are offered the opening in the order they joined. An offer is a record staff see with a
one-click booking; the messaging module will also send it to the patient."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q

from medspa.core.models import Location, OutboxMessage
from medspa.core.outbox import outbox_handler
from medspa.scheduling.choices import TIME_OF_DAY_MINUTES, WaitlistStatus
from medspa.scheduling.models import WaitlistEntry, WaitlistOffer

OFFERS_PER_OPENING = 3


def matches_time_of_day(entry_times: list[str], local: datetime) -> bool:
    if not entry_times:
        return True
    minute = local.hour * 60 + local.minute
    return any(TIME_OF_DAY_MINUTES[t][0] <= minute < TIME_OF_DAY_MINUTES[t][1] for t in entry_times)


def matching_entries(*, clinic_id, service_id, provider_id, location: Location, start: datetime) -> list[WaitlistEntry]:
    """Waiting entries this opening suits, oldest first."""
    local = start.astimezone(ZoneInfo(location.timezone))
    candidates = WaitlistEntry.objects.filter(
        clinic_id=clinic_id,
        status=WaitlistStatus.WAITING,
        service_id=service_id,
        location=location,
        date_from__lte=local.date(),
        date_to__gte=local.date(),
    ).filter(Q(provider__isnull=True) | Q(provider_id=provider_id))
    return [e for e in candidates.order_by("created_at", "id") if matches_time_of_day(e.times_of_day, local)]


@outbox_handler("scheduling.opening")
def offer_opening(message: OutboxMessage) -> None:
    """Offer freed time to the first matching waitlist entries (runs after the change commits)."""
    payload = message.payload
    location = Location.objects.filter(clinic_id=message.clinic_id, pk=payload["location_id"]).first()
    if location is None:
        return
    start, end = datetime.fromisoformat(payload["start"]), datetime.fromisoformat(payload["end"])
    with transaction.atomic():
        entries = matching_entries(
            clinic_id=message.clinic_id,
            service_id=payload["service_id"],
            provider_id=payload["provider_id"],
            location=location,
            start=start,
        )[:OFFERS_PER_OPENING]
        for entry in entries:
            WaitlistOffer.objects.get_or_create(
                clinic_id=message.clinic_id,
                entry=entry,
                start_at=start,
                defaults={
                    "provider_id": payload["provider_id"],
                    "location": location,
                    "end_at": end,
                    "freed_by_id": payload.get("appointment_id"),
                },
            )
        WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries]).update(status=WaitlistStatus.OFFERED)
