"""A busy clinic for the scheduling benchmarks: providers, rooms, lasers, a 30-service menu,
weekly hours, patients, and appointments with their reservations written in bulk.

The menu, rooms, equipment and hours are made through the real services; appointments and
reservations are written directly (executemany on SQLite, COPY on PostgreSQL) because half a
million rows through the booking service would take hours. The seeder keeps every provider,
room unit and equipment unit free of overlaps, exactly as the booking service would, and the
rows carry what the booking service writes (buffers in the reservation, released time inactive).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

OPEN, CLOSE, BREAK = 8 * 60, 20 * 60, (13 * 60, 13 * 60 + 30)  # local wall minutes
ZONE = "America/New_York"
# name, duration, before, after, room kind ("" none), needs the laser, weight in the day
MENU = [
    ("Neurotoxin", 15, 0, 5, "", False, 6),
    ("Neurotoxin touch-up", 15, 0, 0, "", False, 4),
    ("Lip filler", 30, 5, 5, "", False, 3),
    ("Cheek filler", 45, 5, 5, "", False, 2),
    ("Consultation", 15, 0, 0, "", False, 5),
    ("Follow-up", 15, 0, 0, "", False, 4),
    ("Skin check", 20, 0, 0, "", False, 3),
    ("Dermaplaning", 30, 0, 0, "", False, 2),
    ("Chemical peel", 30, 0, 10, "treatment", False, 2),
    ("HydraFacial-style facial", 45, 0, 10, "treatment", False, 1),
    ("Microneedling", 45, 5, 10, "treatment", False, 1),
    ("PRP microneedling", 60, 5, 10, "treatment", False, 1),
    ("LED therapy", 20, 0, 0, "", False, 2),
    ("Kybella", 30, 5, 5, "", False, 1),
    ("Sclerotherapy", 30, 0, 5, "", False, 1),
    ("Laser hair removal - small", 20, 0, 5, "laser", True, 1),
    ("Laser hair removal - large", 45, 0, 10, "laser", True, 1),
    ("IPL photofacial", 30, 0, 10, "laser", True, 1),
    ("Laser resurfacing", 60, 10, 15, "laser", True, 1),
    ("Tattoo removal", 20, 0, 5, "laser", True, 1),
    ("Body contouring", 60, 0, 10, "", False, 1),
    ("Thread lift", 60, 10, 10, "", False, 1),
    ("Brow lamination", 30, 0, 0, "", False, 1),
    ("Lash lift", 30, 0, 0, "", False, 1),
    ("Vitamin injection", 15, 0, 0, "", False, 3),
    ("Medical weight check-in", 15, 0, 0, "", False, 3),
    ("Acne facial", 30, 0, 5, "", False, 1),
    ("Scar revision consult", 20, 0, 0, "", False, 1),
    ("Under-eye filler", 30, 5, 5, "", False, 1),
    ("Jawline filler", 45, 5, 5, "", False, 1),
]
SEARCHED = "IPL photofacial"  # needs a laser room and one of the two lasers
ROOMS = [("Treatment 1", "treatment"), ("Treatment 2", "treatment"), ("Treatment 3", "treatment")]
ROOMS += [("Laser 1", "laser"), ("Laser 2", "laser")]


@dataclass
class BenchClinic:
    clinic: object
    actor: object
    location: object
    owner: object
    providers: list
    services: dict  # name -> Service
    rooms: dict  # kind -> [room ids]
    laser: object
    patients: list = field(default_factory=list)
    visits: dict = field(default_factory=dict)  # patient id -> visit id
    appointments: int = 0
    reservations: int = 0


def make_clinic(slug: str, providers: int, *, password: str | None = None, patients: int = 300) -> BenchClinic:
    from medspa.accounts.models import Membership, User
    from medspa.catalog import services as catalog
    from medspa.core.actors import Actor
    from medspa.core.models import Clinic, Location
    from medspa.core.permissions import Role
    from medspa.patients.models import Patient
    from medspa.scheduling import services as scheduling
    from medspa.scheduling.models import Visit

    clinic = Clinic.objects.create(name=f"Bench {slug}", slug=f"bench-{slug}", require_mfa=False, timezone=ZONE)
    location = Location.objects.create(clinic=clinic, name="Main", timezone=ZONE)
    email = f"owner@{slug}.bench.test"
    if password:
        owner = User.objects.create_user(email, password, first_name="Bench", last_name="Owner")
    else:
        owner = User.objects.create(email=email, first_name="Bench", last_name="Owner")
    Membership.objects.create(clinic=clinic, user=owner, role=Role.OWNER, is_active=True)
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    people = User.objects.bulk_create(
        User(email=f"provider{n}@{slug}.bench.test", first_name=f"Provider{n}", last_name="Bench", password="!")  # noqa: S106 - unusable
        for n in range(providers)
    )
    Membership.objects.bulk_create(
        Membership(clinic=clinic, user=user, role=Role.PROVIDER, is_active=True) for user in people
    )
    rooms: dict = {}
    for name, kind in ROOMS:
        room = catalog.room_create(actor=actor, data={"location_id": location.pk, "name": name, "kind": kind})
        rooms.setdefault(kind, []).append(str(room.pk))
    laser = catalog.equipment_create(
        actor=actor, data={"location_id": location.pk, "name": "Diode laser", "kind": "laser", "quantity": 2}
    )
    menu = {}
    for name, duration, before, after, room_kind, needs_laser, _ in MENU:
        menu[name] = catalog.service_create(
            actor=actor,
            data={
                "name": name,
                "duration_minutes": duration,
                "buffer_before_minutes": before,
                "buffer_after_minutes": after,
                "price": "100.00",
                "room_kind": room_kind,
                "equipment_ids": [laser.pk] if needs_laser else [],
                "provider_ids": [p.pk for p in people],
                "bookable_online": True,
            },
        )
    blocks = [scheduling.Block(weekday, OPEN, CLOSE) for weekday in range(7)]
    blocks += [scheduling.Block(weekday, *BREAK, kind="break") for weekday in range(7)]
    for person in people:
        scheduling.hours_replace(actor, provider_id=person.pk, location_id=location.pk, blocks=blocks)
    rows = Patient.objects.bulk_create(
        Patient(clinic=clinic, first_name=f"Pat{n}", last_name=f"Bench{n}") for n in range(patients)
    )
    visits = Visit.objects.bulk_create(Visit(clinic=clinic, patient=p, location=location) for p in rows)
    return BenchClinic(
        clinic=clinic,
        actor=actor,
        location=location,
        owner=owner,
        providers=[str(p.pk) for p in people],
        services=menu,
        rooms=rooms,
        laser=laser,
        patients=[str(p.pk) for p in rows],
        visits={str(v.patient_id): str(v.pk) for v in visits},
    )


class Writer:
    """Rows of one model written directly: a template row prepared by Django, per-row columns
    converted by each field's own `get_db_prep_save` (cached for repeated values)."""

    def __init__(self, connection, model, template: dict) -> None:
        self.connection = connection
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        instance = model(**template)
        self.template = [f.get_db_prep_save(getattr(instance, f.attname), connection) for f in self.fields]
        self.cache: dict = {}
        self.rows: list = []

    def prep(self, attname: str, value):
        key = (attname, value)
        out = self.cache.get(key)
        if out is None:
            out = self.model._meta.get_field(attname).get_db_prep_save(value, self.connection)
            if len(self.cache) < 100_000:
                self.cache[key] = out
        return out

    def add(self, **values) -> None:
        row = list(self.template)
        index = self.index
        for name, value in values.items():
            row[index[name]] = self.prep(name, value)
        self.rows.append(row)

    def add_raw(self, prepared: dict) -> None:
        """Values already converted (unique per row: no point caching them)."""
        row = list(self.template)
        for name, value in prepared.items():
            row[self.index[name]] = value
        self.rows.append(row)

    def flush(self, *, insert: bool = False) -> None:
        """Write the pending rows: COPY on PostgreSQL (INSERT when `insert`), executemany on SQLite."""
        if not self.rows:
            return
        table = self.model._meta.db_table
        quote = self.connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql" and not insert:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.fields))
                sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - model metadata only
                cursor.executemany(sql, self.rows)
        self.rows = []


def _free_unit(taken: dict, units: list, block: tuple[int, int]):
    for unit in units:
        if all(end <= block[0] or start >= block[1] for start, end in taken.setdefault(unit, [])):
            return unit
    return None


def seed_appointments(
    connection, bench: BenchClinic, first_day: date, days: int, per_day: int, rng: random.Random, *, past: bool
) -> None:
    """`per_day` appointments per provider per local day (fewer when the day fills up), packed
    with small random gaps between opening and closing, around the lunch break. Room and laser
    needs get a free unit or the appointment takes a service without them."""
    from medspa.scheduling.availability.loader import wall_minute
    from medspa.scheduling.models import Appointment, Reservation

    zone = ZoneInfo(ZONE)
    now = datetime.now(tz=UTC)
    appointments = Writer(
        connection,
        Appointment,
        {
            "clinic_id": bench.clinic.pk,
            "location_id": bench.location.pk,
            "source": "admin",
            "created_at": now,
            "updated_at": now,
        },
    )
    reservations = Writer(
        connection,
        Reservation,
        {"clinic_id": bench.clinic.pk, "kind": "provider", "created_at": now, "updated_at": now},
    )
    appointment_field = Appointment._meta.get_field("start_at")
    id_field = Appointment._meta.pk
    res_id_field = Reservation._meta.pk
    res_fk = Reservation._meta.get_field("appointment").target_field
    menu = [(bench.services[name], dur, b, a, kind, laser, w) for name, dur, b, a, kind, laser, w in MENU]
    weights = [m[-1] for m in menu]
    plain = {}  # a roomless service of the same duration, for when no room or laser is free
    for entry in menu:
        if not entry[4] and not entry[5]:
            plain.setdefault(entry[1], entry)
    laser_units = [(str(bench.laser.pk), 0), (str(bench.laser.pk), 1)]
    room_units = {kind: [(room, 0) for room in ids] for kind, ids in bench.rooms.items()}
    gaps = [0, 0, 0, 0, 0, 5, 5, 10, 15] if per_day >= 25 else [0, 0, 5, 10, 15, 20, 30]
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        opens, closes = wall_minute(zone, day, OPEN), wall_minute(zone, day, CLOSE)
        lunch = (wall_minute(zone, day, BREAK[0]), wall_minute(zone, day, BREAK[1]))
        taken: dict = {}
        for provider in bench.providers:
            cursor, made = opens, 0
            while made < per_day:
                service, duration, before, after, kind, laser, _ = rng.choices(menu, weights)[0]
                gap = rng.choice(gaps)
                start = cursor + gap + before
                block = (start - before, start + duration + after)
                if start < lunch[1] and start + duration > lunch[0]:
                    cursor = lunch[1]
                    continue
                if start + duration > closes or block[1] > closes + 60:
                    break
                room = gear = None
                if kind:
                    room = _free_unit(taken, room_units[kind], block)
                if laser:
                    gear = _free_unit(taken, laser_units, block)
                if (kind and room is None) or (laser and gear is None):
                    service, duration, before, after, kind, laser, _ = (
                        plain[duration] if duration in plain else plain[15]
                    )
                    room = gear = None
                    start = cursor + gap + before
                    block = (start - before, start + duration + after)
                for unit in (room, gear):
                    if unit is not None:
                        taken[unit].append(block)
                status = "scheduled"
                if past:
                    roll = rng.random()
                    status = "cancelled" if roll < 0.05 else "no_show" if roll < 0.07 else "completed"
                elif rng.random() < 0.5:
                    status = "confirmed"
                patient = rng.choice(bench.patients)
                pk = uuid.uuid4()
                start_at = datetime.fromtimestamp(start * 60, tz=UTC)
                end_at = datetime.fromtimestamp((start + duration) * 60, tz=UTC)
                prep = appointments.prep
                appointments.add_raw(
                    {
                        "id": id_field.get_db_prep_save(pk, connection),
                        "start_at": appointment_field.get_db_prep_save(start_at, connection),
                        "end_at": appointment_field.get_db_prep_save(end_at, connection),
                        "status_changed_at": appointment_field.get_db_prep_save(start_at, connection),
                        "updated_at": appointment_field.get_db_prep_save(start_at, connection),
                        "visit_id": prep("visit_id", uuid.UUID(bench.visits[patient])),
                        "patient_id": prep("patient_id", uuid.UUID(patient)),
                        "provider_id": prep("provider_id", uuid.UUID(provider)),
                        "service_id": prep("service_id", service.pk),
                        "room_id": prep("room_id", uuid.UUID(room[0]) if room else None),
                        "buffer_before": before,
                        "buffer_after": after,
                        "status": status,
                    }
                )
                active = status not in {"cancelled", "no_show"}
                fk = res_fk.get_db_prep_save(pk, connection)
                for res_kind, (resource, unit) in [("provider", (provider, 0))] + [
                    (k, u) for k, u in (("room", room), ("equipment", gear)) if u is not None
                ]:
                    reservations.add_raw(
                        {
                            "id": res_id_field.get_db_prep_save(uuid.uuid4(), connection),
                            "appointment_id": fk,
                            "kind": res_kind,
                            "resource_id": reservations.prep("resource_id", uuid.UUID(resource)),
                            "unit": unit,
                            "start_minute": block[0],
                            "end_minute": block[1],
                            "active": active,
                        }
                    )
                    bench.reservations += 1
                bench.appointments += 1
                made += 1
                cursor = block[1]
        if len(appointments.rows) >= 20_000:  # parents first: reservations point at them
            appointments.flush()
            reservations.flush()
    appointments.flush()
    reservations.flush()
