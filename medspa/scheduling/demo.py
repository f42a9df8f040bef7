"""Demo schedules and a busy calendar for each demo clinic.

Runs after catalog (the menu and who performs it) and patients. For every demo practitioner
who performs services: weekly hours at each location with a lunch break (one works Tuesday to
Saturday 09:00–18:00, the other Monday to Friday 10:00–19:00, so one is off on Mondays), a
day of time off next week and extra hours on one Saturday. Then appointments from 7 days ago
to 14 days ahead filling roughly 70–85% of working time: single and multi-service visits,
some add-ons, times chosen from `available_slots` and booked through `services.book` (so
reservations and the no-double-booking rules hold). Past visits are completed (a few
no-shows, a few cancelled with reasons), today's follow the clock (arrived, in progress,
confirmed, scheduled), later ones are scheduled or confirmed — all through
`appointment_set_status`. A few waitlist entries.

Idempotent: hours are written only for a provider without hours at the location; exceptions,
appointments and the waitlist only for a clinic that has none. Deterministic for a given day
(seeded random, patients and providers in a fixed order).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import F
from django.utils import timezone

from medspa.catalog import selectors as catalog_selectors
from medspa.core.actors import Actor
from medspa.core.errors import Conflict, InvalidInput
from medspa.patients.choices import ProfileType
from medspa.patients.models import Patient
from medspa.scheduling import selectors, services
from medspa.scheduling.availability.loader import Search
from medspa.scheduling.choices import AppointmentStatus, BookingSource, ExceptionKind, TimeOfDay
from medspa.scheduling.models import Appointment, ScheduleException, WaitlistEntry, WorkingHours
from medspa.scheduling.services import Block, BookingRequest

S = AppointmentStatus
DAYS_BACK, DAYS_AHEAD = 7, 14

# (working days, start, end, lunch start, lunch end) in local hours
PATTERNS = [
    ((1, 2, 3, 4, 5), 9 * 60, 18 * 60, 13 * 60, 13 * 60 + 45),  # Tue–Sat 09:00–18:00, off Sun and Mon
    ((0, 1, 2, 3, 4), 10 * 60, 19 * 60, 14 * 60, 14 * 60 + 30),  # Mon–Fri 10:00–19:00
]

# How often each service is booked (the menu's most common treatments first).
WEIGHTS = {
    "Neurotoxin (Botox)": 10,
    "HydraFacial-style facial": 7,
    "Consultation": 5,
    "Dermal filler – lips": 5,
    "Laser hair removal – small area": 5,
    "Laser hair removal – large area": 3,
    "Chemical peel": 4,
    "IPL photofacial": 4,
    "Microneedling": 3,
    "Dermal filler – cheeks": 3,
    "Kybella": 1,
    "PRP hair restoration": 1,
}
# Services often booked together in one visit (the second straight after the first).
PAIRS = [
    ("Consultation", "Neurotoxin (Botox)"),
    ("Neurotoxin (Botox)", "Dermal filler – lips"),
    ("Neurotoxin (Botox)", "HydraFacial-style facial"),
    ("Chemical peel", "Laser hair removal – small area"),
    ("Consultation", "IPL photofacial"),
]
SOURCES = [(BookingSource.ADMIN, 45), (BookingSource.PHONE, 25), (BookingSource.ONLINE, 25), (BookingSource.WALK_IN, 5)]
CANCEL_REASONS = [
    "Patient is unwell",
    "Work conflict; will rebook",
    "Travelling that week",
    "Childcare fell through",
    "Rescheduled by phone",
]
NOTES = [
    "First visit — arrive 10 minutes early for forms.",
    "Prefers a numbing cream.",
    "Follow-up from last treatment.",
    "Bridal party prep.",
    "Sensitive skin; patch test done.",
]


@dataclass
class Practitioner:
    user: object
    services: list  # non-add-on services they perform, by name
    pattern: tuple


def seed(context: dict) -> None:
    now = timezone.now()
    for clinic in context["clinics"]:
        seed_clinic(clinic, now=now)


def seed_clinic(clinic, *, now: datetime) -> dict:
    """Hours, exceptions, appointments and waitlist for one clinic (whatever is missing)."""
    actor = Actor.system(clinic=clinic, label="demo")
    rng = random.Random(f"scheduling-demo-{clinic.slug}")  # noqa: S311 - demo data, not secrets
    locations = list(catalog_selectors.locations_for(actor=actor).filter(is_active=True).order_by("name"))
    practitioners = _practitioners(actor)
    for location in locations:
        for practitioner in practitioners:
            _seed_hours(actor, practitioner, location)
    counts = {"appointments": 0, "exceptions": 0, "waitlist": 0}
    if not ScheduleException.objects.filter(clinic=clinic).exists():
        counts["exceptions"] = _seed_exceptions(actor, practitioners, locations, now)
    if not Appointment.all_objects.filter(clinic=clinic).exists():
        patients = list(
            Patient.objects.filter(clinic=clinic, profile_type=ProfileType.PATIENT).order_by(
                "last_name", "first_name", "created_at", "pk"
            )
        )
        if patients:
            for location in locations:
                counts["appointments"] += _seed_calendar(actor, rng, practitioners, location, patients, now)
    if not WaitlistEntry.objects.filter(clinic=clinic).exists():
        counts["waitlist"] = _seed_waitlist(actor, rng, practitioners, locations, now)
    return counts


def _practitioners(actor: Actor) -> list[Practitioner]:
    """Demo practitioners who perform at least one service, in name order, with a pattern each."""
    menu = list(catalog_selectors.services_for(actor=actor, include_addons=False))
    found = []
    for user in catalog_selectors.provider_candidates(actor=actor):
        performed = [s.name for s in menu if any(p.pk == user.pk for p in s.providers.all())]
        if performed:
            found.append(Practitioner(user, performed, PATTERNS[len(found) % len(PATTERNS)]))
    return found


def _seed_hours(actor: Actor, practitioner: Practitioner, location) -> None:
    if WorkingHours.objects.filter(clinic=actor.clinic, provider=practitioner.user, location=location).exists():
        return
    days, start, end, lunch, lunch_end = practitioner.pattern
    blocks = [Block(d, start, end) for d in days] + [Block(d, lunch, lunch_end, "break") for d in days]
    services.hours_replace(actor, provider_id=practitioner.user.pk, location_id=location.pk, blocks=blocks)


def _seed_exceptions(actor: Actor, practitioners: list[Practitioner], locations, now: datetime) -> int:
    """A whole day off next week for the first practitioner; extra Saturday hours for one who
    does not work Saturdays."""
    if not practitioners or not locations:
        return 0
    today = now.astimezone(ZoneInfo(locations[0].timezone)).date()
    next_monday = today + timedelta(days=7 - today.weekday())
    added = 0
    first = practitioners[0]
    off = next(next_monday + timedelta(days=n) for n in range(7) if n in first.pattern[0] and n >= 2)
    services.exception_add(
        actor, provider_id=first.user.pk, day=off, kind=ExceptionKind.TIME_OFF, reason="Conference (CME)"
    )
    added += 1
    saturday_off = [p for p in practitioners if 5 not in p.pattern[0]]
    if saturday_off:
        saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
        _extra_hours(actor, saturday_off[0], locations[0], saturday, (10, 15), "Saturday injectables clinic")
        added += 1
    if not any(today.weekday() in p.pattern[0] for p in practitioners):
        # The demo opens on a day the clinic is closed: a weekend clinic day, so Today is busy.
        for practitioner in practitioners:
            _extra_hours(actor, practitioner, locations[0], today, (9, 17), "Weekend clinic day")
            added += 1
    return added


def _extra_hours(actor: Actor, practitioner: Practitioner, location, day: date, hours: tuple, reason: str) -> None:
    services.exception_add(
        actor,
        provider_id=practitioner.user.pk,
        day=day,
        kind=ExceptionKind.EXTRA_HOURS,
        location_id=location.pk,
        start_minute=hours[0] * 60,
        end_minute=hours[1] * 60,
        reason=reason,
    )


def _seed_calendar(actor: Actor, rng: random.Random, practitioners, location, patients, now: datetime) -> int:
    zone = ZoneInfo(location.timezone)
    today = now.astimezone(zone).date()
    menu = {s.name: s for s in catalog_selectors.services_for(actor=actor, location=location)}
    booked = 0
    for offset in range(-DAYS_BACK, DAYS_AHEAD + 1):
        day = today + timedelta(days=offset)
        busy_patients: set = set()
        for practitioner in practitioners:
            booked += _fill_day(actor, rng, practitioner, location, zone, day, menu, patients, busy_patients, now)
    # Check-in times as they would have been (the status service stamps the moment it runs).
    here = Appointment.objects.filter(clinic=actor.clinic, location=location)
    here.filter(checked_in_at__isnull=False, start_at__lte=now).update(
        checked_in_at=F("start_at") - timedelta(minutes=6)
    )
    here.filter(status=S.COMPLETED).update(status_changed_at=F("end_at"))
    return booked


def _fill_day(actor, rng, practitioner, location, zone, day: date, menu, patients, busy_patients, now) -> int:
    """Book one practitioner's day from opening to closing, leaving a gap now and then.

    The first visit of the day, every visit after a gap and every visit that does not fit
    straight after the previous one take the earliest time `available_slots` offers; the
    others are tried back to back first (a refused booking writes nothing)."""
    day_start = datetime.combine(day, time(0), tzinfo=zone)
    cursor, day_end = day_start, day_start + timedelta(days=1)
    block_end = None  # where the previous visit's reservations end (buffer included)
    booked = misses = 0
    shortest = min((n for n in practitioner.services if n in menu), key=lambda n: menu[n].duration_minutes)
    while cursor < day_end and misses < 2:
        # After a miss (nothing of that length fits in what is left of the day) try the shortest.
        combo = _combo(rng, practitioner, menu) if not misses else [shortest]
        addons = _addons(rng, menu[combo[0]])
        gap = rng.random() < 0.15
        request = BookingRequest(
            patient_id=_patient(rng, patients, busy_patients).pk,
            service_ids=[menu[name].pk for name in combo],
            provider_id=practitioner.user.pk,
            start=cursor,
            location_id=location.pk,
            addon_ids=[a.pk for a in addons],
            notes=rng.choice(NOTES) if rng.random() < 0.12 else "",
            source=rng.choices([s for s, _ in SOURCES], [w for _, w in SOURCES])[0],
        )
        visit = None
        if block_end is not None and not gap:
            request.start = _round_up(block_end + timedelta(minutes=menu[combo[0]].buffer_before_minutes))
            try:
                visit = services.book(actor, request)
            except (Conflict, InvalidInput):
                visit = None
        if visit is None:
            start = _earliest(actor, practitioner, location, cursor, day_end, combo, addons, menu, rng, gap)
            if start is None:
                misses += 1
                continue
            request.start = start
            visit = services.book(actor, request)
        misses = 0
        _set_statuses(actor, rng, visit.booked, now)
        booked += len(visit.booked)
        last = visit.booked[-1]
        cursor = last.end_at.astimezone(zone)
        block_end = cursor + timedelta(minutes=last.buffer_after)
    return booked


def _round_up(moment: datetime, step: int = 5) -> datetime:
    extra = -moment.minute % step
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=extra)


def _earliest(actor, practitioner, location, cursor, day_end, combo, addons, menu, rng, gap: bool):
    """The first bookable start from `cursor` (15–45 minutes later when leaving a gap)."""
    slots, _ = selectors.available_slots(
        actor,
        Search(
            service_ids=tuple(str(menu[name].pk) for name in combo),
            location_id=location.pk,
            start=cursor,
            end=day_end,
            provider_ids=frozenset({str(practitioner.user.pk)}),
            addon_ids=tuple(str(a.pk) for a in addons),
        ),
    )
    starts = [datetime.fromisoformat(s["start"]) for s in slots]
    if gap and starts:
        wanted = starts[0] + timedelta(minutes=rng.choice((15, 15, 30, 45)))
        starts = [s for s in starts if s >= wanted]
    return starts[0] if starts else None


def _combo(rng: random.Random, practitioner: Practitioner, menu) -> list[str]:
    names = [n for n in practitioner.services if n in menu]
    pairs = [p for p in PAIRS if p[0] in names and p[1] in names]
    if pairs and rng.random() < 0.16:
        return list(rng.choice(pairs))
    return [rng.choices(names, [WEIGHTS.get(n, 1) for n in names])[0]]


def _addons(rng: random.Random, service) -> list:
    offered = [a for a in service.addons.all() if a.active]
    return [rng.choice(offered)] if offered and rng.random() < 0.3 else []


def _patient(rng: random.Random, patients, busy_patients: set):
    """A patient not already booked that day (a few tries, then anyone)."""
    for _ in range(8):
        patient = rng.choice(patients)
        if patient.pk not in busy_patients:
            break
    busy_patients.add(patient.pk)
    return patient


def _set_statuses(actor: Actor, rng: random.Random, appointments, now: datetime) -> None:
    """Walk each appointment of a visit to where it would be by now."""
    first = appointments[0]
    roll = rng.random()
    if first.end_at <= now:
        if roll < 0.05:
            _each(actor, appointments, [S.CANCELLED], reason=rng.choice(CANCEL_REASONS))
            return
        if roll < 0.09:
            _each(actor, appointments, [S.CONFIRMED, S.NO_SHOW] if roll < 0.07 else [S.NO_SHOW])
            return
    elif first.start_at > now + timedelta(days=1) and roll < 0.03:
        _each(actor, appointments, [S.CANCELLED], reason=rng.choice(CANCEL_REASONS))
        return
    confirmed = rng.random() < (0.85 if first.start_at < now + timedelta(days=2) else 0.45)
    for appointment in appointments:
        # (Past visits skip the confirmation step: fewer writes, and the end state is the same.)
        path = [S.CONFIRMED] if confirmed and appointment.end_at > now else []
        if appointment.end_at <= now:
            path += [S.ARRIVED, S.IN_PROGRESS, S.COMPLETED] if rng.random() < 0.2 else [S.ARRIVED, S.COMPLETED]
        elif appointment.start_at <= now:
            path += [S.ARRIVED, S.IN_PROGRESS]
        elif first.start_at <= now or appointment.start_at <= now + timedelta(minutes=15):
            path += [S.ARRIVED]  # the visit has begun, or the patient is in the waiting room
        _each(actor, [appointment], path)


def _each(actor: Actor, appointments, path: list[str], reason: str = "") -> None:
    for appointment in appointments:
        for status in path:
            services.appointment_set_status(actor, appointment.pk, status, reason=reason)


def _seed_waitlist(actor: Actor, rng: random.Random, practitioners, locations, now: datetime) -> int:
    """A handful of patients waiting for an earlier time in the coming weeks."""
    patients = list(
        Patient.objects.filter(clinic=actor.clinic, profile_type=ProfileType.PATIENT).order_by(
            "last_name", "first_name", "created_at", "pk"
        )
    )
    if not patients or not practitioners or not locations:
        return 0
    menu = {s.name: s for s in catalog_selectors.services_for(actor=actor, include_addons=False)}
    today = now.astimezone(ZoneInfo(locations[0].timezone)).date()
    wishes = [
        ("Neurotoxin (Botox)", 0, [TimeOfDay.MORNING], "Wants Friday before an event."),
        ("HydraFacial-style facial", None, [TimeOfDay.EVENING], "After work only."),
        ("Dermal filler – lips", 1, [], ""),
        ("Laser hair removal – large area", None, [TimeOfDay.AFTERNOON], "Series in progress."),
        ("Consultation", None, [TimeOfDay.MORNING, TimeOfDay.AFTERNOON], "Referred by a friend."),
    ]
    added = 0
    for name, who, times, notes in wishes:
        if name not in menu:
            continue
        provider = practitioners[who] if who is not None and who < len(practitioners) else None
        if provider is not None and name not in provider.services:
            provider = None
        start = today + timedelta(days=rng.randint(0, 3))
        services.waitlist_join(
            actor,
            patient_id=rng.choice(patients).pk,
            service_id=menu[name].pk,
            date_from=start,
            date_to=start + timedelta(days=rng.randint(7, 21)),
            provider_id=provider.user.pk if provider else None,
            location_id=locations[0].pk,
            times_of_day=times,
            notes=notes,
        )
        added += 1
    return added
