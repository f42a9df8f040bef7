"""Demo patients: about 200 per demo clinic, the same every time (seeded random).

Names from many languages (accents, hyphens, apostrophes, particles), preferred names and
pronouns on some, fictional 555-01XX phone numbers, tags, allergies and safety alerts on
about 15%, a few families (spouses, parents and adult children), a few near-duplicates
waiting to be merged, and some logged communications. Everything goes through the
services, so search columns and the audit trail are what the application would write.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils import timezone

from medspa.core.actors import Actor
from medspa.patients.choices import CommunicationKind, Direction, PatientStatus, ProfileType, RelationshipKind
from medspa.patients.models import Patient
from medspa.patients.normalize import fold
from medspa.patients.services import communication_create, patient_create, relationship_create, tag_create

PATIENTS_PER_CLINIC = 200

TAGS = [
    ("VIP", "#eab308"),
    ("Botox regular", "#6366f1"),
    ("Filler", "#ec4899"),
    ("Laser", "#ef4444"),
    ("New patient", "#22c55e"),
    ("Membership", "#0ea5e9"),
]

# (first name, preferred name or "") — feminine, masculine and unisex given names.
FEMALE = [
    ("Jennifer", "Jen"),
    ("Elizabeth", "Liz"),
    ("Katherine", "Kate"),
    ("Margaret", "Maggie"),
    ("Zoë", ""),
    ("Siobhán", ""),
    ("Anne-Marie", ""),
    ("Renée", ""),
    ("Chloé", ""),
    ("Mei-Ling", ""),
    ("Priya", ""),
    ("Aaliyah", ""),
    ("Ngozi", ""),
    ("Sofía", ""),
    ("Inés", ""),
    ("Mária", ""),
    ("Aoife", ""),
    ("Olivia", "Liv"),
    ("Isabella", "Bella"),
    ("Victoria", "Tori"),
    ("Samantha", "Sam"),
    ("Rebecca", "Becca"),
    ("Emily", ""),
    ("Hannah", ""),
    ("Grace", ""),
    ("Yuki", ""),
    ("Hye-jin", ""),
    ("Fatima", ""),
    ("Ayşe", ""),
    ("Léa", ""),
    ("Camille", ""),
    ("Mary-Kate", ""),
    ("Jessica", "Jess"),
    ("Natalie", ""),
    ("Gabriela", "Gabi"),
    ("Ana Lucía", ""),
]
MALE = [
    ("José", ""),
    ("William", "Will"),
    ("Robert", "Bobby"),
    ("Alexander", "Alex"),
    ("Nicholas", "Nick"),
    ("Jonathan", "Jon"),
    ("Michael", "Mike"),
    ("Seán", ""),
    ("François", ""),
    ("Jürgen", ""),
    ("Björn", ""),
    ("Mateo", ""),
    ("Andrés", ""),
    ("Rahul", ""),
    ("Kwame", ""),
    ("Hiroshi", ""),
    ("Min-jun", ""),
    ("Omar", ""),
    ("Luca", ""),
    ("Daniel", "Dan"),
    ("David", ""),
    ("James", "Jamie"),
    ("Ethan", ""),
    ("Noah", ""),
    ("Jean-Luc", ""),
    ("Tomás", ""),
    ("Søren", ""),
]
UNISEX = [("Jordan", ""), ("Taylor", ""), ("Riley", ""), ("Alexis", "Lex"), ("Quinn", ""), ("Sasha", "")]

LAST_NAMES = [
    "García",
    "Müller",
    "O'Neill",
    "Dubois",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Martínez",
    "Rodríguez",
    "Hernández",
    "López",
    "González",
    "Pérez",
    "Smith-Jones",
    "Martín-López",
    "de la Cruz",
    "Van der Berg",
    "McAllister",
    "MacDonald",
    "O'Brien",
    "D'Angelo",
    "Nguyễn",
    "Trần",
    "Lê",
    "Chen",
    "Wang",
    "Kim",
    "Park",
    "Lee",
    "Tanaka",
    "Sato",
    "Patel",
    "Shah",
    "Raghunathan",
    "Okonkwo",
    "Mensah",
    "Haddad",
    "Khalil",
    "Schäfer",
    "Ångström",
    "Lefèvre",
    "Côté",
    "Rossi",
    "Bianchi",
    "Kowalski",
    "Wiśniewska",
    "Novák",
    "Yılmaz",  # noqa: RUF001 - a Turkish surname
    "Cohen",
    "Levi",
    "Anderson",
    "Thompson",
    "Davis",
    "Miller",
    "Wilson",
    "Taylor",
    "Moore",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "Hall",
    "Allen",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Carter",
    "Mitchell",
    "Roberts",
    "Turner",
    "Phillips",
    "Campbell",
    "Parker",
    "Evans",
    "Edwards",
    "Collins",
    "Stewart",
    "Morris",
    "Murphy",
    "Cook",
    "Rogers",
    "Morgan",
    "Bell",
    "Reed",
]

# Patients every demo shows off (and the tests look for): accents, hyphens, particles.
FEATURED = [
    {"first_name": "José", "last_name": "García", "sex_at_birth": "male", "pronouns": "he/him"},
    {"first_name": "Zoë", "last_name": "Müller", "sex_at_birth": "female", "pronouns": "she/her"},
    {"first_name": "Siobhán", "last_name": "O'Neill", "sex_at_birth": "female"},
    {"first_name": "Thị Lan", "last_name": "Nguyễn", "preferred_name": "Lan", "sex_at_birth": "female"},
    {"first_name": "Anne-Marie", "last_name": "Dubois", "sex_at_birth": "female"},
    {"first_name": "Jennifer", "last_name": "Smith", "preferred_name": "Jen", "sex_at_birth": "female"},
    {"first_name": "Renée", "last_name": "Lefèvre", "sex_at_birth": "female"},
    {"first_name": "Björn", "last_name": "Ångström", "sex_at_birth": "male"},
    {"first_name": "Chloé", "last_name": "Martín-López", "sex_at_birth": "female", "pronouns": "she/her"},
    {"first_name": "Mei-Ling", "last_name": "Chen", "sex_at_birth": "female"},
    {"first_name": "Juan Carlos", "last_name": "de la Cruz", "sex_at_birth": "male"},
    {"first_name": "Jordan", "last_name": "Okonkwo", "sex_at_birth": "undisclosed", "pronouns": "they/them"},
]

CLINIC_PLACES = {
    "glow": {
        "area_codes": ["212", "646", "917", "718", "347"],
        "cities": [("New York", "NY", "100"), ("Brooklyn", "NY", "112"), ("Hoboken", "NJ", "070")],
    },
    "radiance": {
        "area_codes": ["310", "424", "323", "213", "415"],
        "cities": [("Santa Monica", "CA", "904"), ("Los Angeles", "CA", "900"), ("Venice", "CA", "902")],
    },
}
DEFAULT_PLACES = {"area_codes": ["212", "310", "415", "646"], "cities": [("Springfield", "IL", "627")]}
STREETS = ["Main Street", "Ocean Avenue", "Park Place", "Maple Drive", "Elm Street", "Sunset Boulevard", "Hill Road"]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]

ALLERGIES = [
    ("Lidocaine", "Hives", "moderate"),
    ("Latex", "Contact dermatitis", "mild"),
    ("Hyaluronidase", "Swelling", "severe"),
    ("Penicillin", "Rash", "moderate"),
    ("Benzocaine", "Itching", "mild"),
    ("Botulinum toxin (previous reaction)", "Ptosis", "moderate"),
    ("Eggs", "Anaphylaxis", "severe"),
    ("Adhesive tape", "Redness", "mild"),
]
ALERTS = [
    "Pregnant",
    "Breastfeeding",
    "Blood thinners",
    "Keloid history",
    "Cold sores (HSV) — prophylaxis before laser",
    "Autoimmune condition",
    "Isotretinoin in the last 6 months",
    "Fainting during injections",
]
MEDICATIONS = ["Warfarin 5 mg", "Aspirin 81 mg", "Levothyroxine 50 mcg", "Sertraline 50 mg", "Valacyclovir 500 mg"]
CONCERNS = ["Fine lines", "Volume loss", "Pigmentation", "Acne scarring", "Rosacea", "Unwanted hair", "Skin laxity"]
AREAS = ["Forehead", "Glabella", "Crow's feet", "Lips", "Cheeks", "Jawline", "Under-eyes", "Neck"]
REFERRALS = ["Instagram", "Google", "Friend or family", "Yelp", "Walk-in", ""]
COMMUNICATIONS = [
    (CommunicationKind.CALL, Direction.INBOUND, "Called to ask about filler aftercare; reassured, swelling is normal."),
    (CommunicationKind.SMS, Direction.OUTBOUND, "Reminder sent for the appointment tomorrow."),
    (CommunicationKind.EMAIL, Direction.OUTBOUND, "Sent the pre-treatment instructions for laser."),
    (CommunicationKind.IN_PERSON, Direction.INBOUND, "Stopped by to buy skincare; asked about membership pricing."),
    (CommunicationKind.NOTE, Direction.INTERNAL, "Prefers afternoon appointments; parking validation."),
    (CommunicationKind.CALL, Direction.OUTBOUND, "Two-week follow-up after Botox: happy with the result."),
]


def _phones(rng: random.Random, area_codes: list[str]) -> list[str]:
    """Every fictional 555-01XX number of the clinic's area codes, shuffled (no repeats)."""
    numbers = [f"({code}) 555-01{n:02d}" for code in area_codes for n in range(100)]
    rng.shuffle(numbers)
    return numbers


def _dob(rng: random.Random, today: date, min_age: int = 18, max_age: int = 75) -> date:
    """A birthday making the person between min_age and max_age years old today."""
    youngest = today - timedelta(days=round(min_age * 365.25) + 1)
    oldest = today - timedelta(days=round((max_age + 1) * 365.25) - 2)
    return oldest + timedelta(days=rng.randrange((youngest - oldest).days))


# Letters that do not decompose into a base letter plus an accent.
_LETTERS = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "đ": "d", "Đ": "D", "æ": "ae"})


def _email(rng: random.Random, first: str, last: str) -> str:
    first, last = first.translate(_LETTERS), last.translate(_LETTERS)
    local = f"{fold(first).replace(' ', '')}.{fold(last).replace(' ', '')}"
    return f"{local}{rng.randrange(1, 99) if rng.random() < 0.4 else ''}@{rng.choice(EMAIL_DOMAINS)}"


class _Builder:
    """Makes patient data for one clinic from one seeded random stream."""

    def __init__(self, clinic, tag_ids: dict[str, str]) -> None:
        self.rng = random.Random(f"medspa-demo-patients-{clinic.slug}")  # noqa: S311 - demo data, not secrets
        places = CLINIC_PLACES.get(clinic.slug, DEFAULT_PLACES)
        self.cities = places["cities"]
        self.phones = _phones(self.rng, places["area_codes"])
        self.tag_ids = tag_ids
        self.today = timezone.localdate()

    def phone(self) -> str:
        return self.phones.pop()

    def person(self, **given) -> dict:
        rng = self.rng
        sex = given.get("sex_at_birth") or rng.choices(["female", "male", "undisclosed"], [70, 27, 3])[0]
        pool = FEMALE if sex == "female" else MALE if sex == "male" else UNISEX
        first, preferred = rng.choice(pool)
        if "first_name" in given:
            preferred = given.get("preferred_name", "")
        data = {
            "first_name": first,
            "last_name": rng.choice(LAST_NAMES),
            "preferred_name": preferred if rng.random() < 0.6 else "",
            "pronouns": "",
            "sex_at_birth": sex,
            "date_of_birth": _dob(rng, self.today),
            "phone": self.phone(),
            "referral_source": rng.choice(REFERRALS),
            "email_reminders": rng.random() < 0.9,
            "sms_reminders": rng.random() < 0.8,
            "marketing_emails": rng.random() < 0.4,
            "marketing_sms": rng.random() < 0.2,
            "photo_marketing_consent": rng.random() < 0.15,
            "clinical_photo_consent": True,
        }
        data.update(given)
        if not data["pronouns"] and rng.random() < 0.25:
            data["pronouns"] = {"female": "she/her", "male": "he/him"}.get(sex, "they/them")
        if rng.random() < 0.9:
            data["email"] = _email(rng, data["first_name"], data["last_name"])
        if rng.random() < 0.1:
            data["alternate_phone"] = self.phone()
        if rng.random() < 0.85:
            city, region, zip_prefix = rng.choice(self.cities)
            data.update(
                address_line1=f"{rng.randrange(10, 2000)} {rng.choice(STREETS)}",
                address_line2=f"Apt {rng.randrange(1, 30)}{rng.choice('ABCD')}" if rng.random() < 0.3 else "",
                city=city,
                region=region,
                postal_code=f"{zip_prefix}{rng.randrange(10, 99)}",
            )
        if rng.random() < 0.15:
            substance, reaction, severity = rng.choice(ALLERGIES)
            data["allergies"] = [{"substance": substance, "reaction": reaction, "severity": severity}]
        if rng.random() < 0.15:
            alerts = rng.sample(ALERTS, rng.choice([1, 1, 2]))
            if sex != "female" or (self.today - data["date_of_birth"]).days > 45 * 365:
                alerts = [a for a in alerts if a not in ("Pregnant", "Breastfeeding")] or ["Blood thinners"]
            data["medical_alerts"] = alerts
            if "Blood thinners" in alerts:
                data["medications"] = [rng.choice(MEDICATIONS[:2])]
        if rng.random() < 0.2:
            data.setdefault("medications", []).append(rng.choice(MEDICATIONS[2:]))
        if rng.random() < 0.7:
            data["skin_type"] = rng.choice(["I", "II", "III", "IV", "V", "VI"])
            data["aesthetic_concerns"] = rng.sample(CONCERNS, rng.randrange(1, 3))
            data["preferred_treatment_areas"] = rng.sample(AREAS, rng.randrange(1, 4))
        tag_count = rng.choices([0, 1, 2], [45, 40, 15])[0]
        if tag_count:
            data["tags"] = [self.tag_ids[name] for name in rng.sample(list(self.tag_ids), tag_count)]
        if rng.random() < 0.06:
            data["status"] = PatientStatus.INACTIVE
        data.update(given)
        return data


def _seed_clinic(clinic) -> None:
    actor = Actor.system(clinic=clinic, label="demo")
    tag_ids = {name: str(tag_create(actor=actor, name=name, color=color).pk) for name, color in TAGS}
    build = _Builder(clinic, tag_ids)
    rng = build.rng
    created: list[Patient] = []

    def add(**given) -> Patient:
        patient = patient_create(actor=actor, data=build.person(**given))
        created.append(patient)
        return patient

    featured = [add(**spec) for spec in FEATURED]

    # Families: spouses sharing a surname and address, parents with adult children.
    for _ in range(3):
        one = add(sex_at_birth="female", last_name=rng.choice(LAST_NAMES))
        two = add(sex_at_birth="male", last_name=one.last_name, city=one.city, address_line1=one.address_line1)
        relationship_create(actor=actor, patient_id=one.pk, related_id=two.pk, kind=RelationshipKind.SPOUSE)
    for _ in range(3):
        parent_dob = _dob(rng, build.today, min_age=50, max_age=75)
        parent = add(last_name=rng.choice(LAST_NAMES), date_of_birth=parent_dob)
        child_dob = _dob(rng, build.today, min_age=18, max_age=min(30, build.today.year - parent_dob.year - 20))
        child = add(last_name=parent.last_name, date_of_birth=child_dob, city=parent.city)
        relationship_create(actor=actor, patient_id=parent.pk, related_id=child.pk, kind=RelationshipKind.PARENT)
    # A contact who is not treated: the emergency contact and spouse of a featured patient.
    contact = add(
        first_name="Carlos",
        last_name="García",
        sex_at_birth="male",
        profile_type=ProfileType.CONTACT,
        tags=[],
        allergies=[],
    )
    relationship_create(actor=actor, patient_id=featured[0].pk, related_id=contact.pk, kind=RelationshipKind.SPOUSE)

    # Near-duplicates for the merge tools: the same phone, or the same birthday with another spelling.
    jennifer = featured[5]
    add(
        first_name="Jenny",
        last_name="Smith",
        preferred_name="",
        sex_at_birth="female",
        phone=jennifer.phone,
        email="",
        tags=[],
        allergies=[],
    )
    zoe = featured[1]
    add(
        first_name="Zoe",
        last_name="Muller",
        sex_at_birth="female",
        date_of_birth=zoe.date_of_birth,
        tags=[],
        allergies=[],
    )
    anne = featured[4]
    add(
        first_name="Anne Marie",
        last_name="DuBois",
        sex_at_birth="female",
        date_of_birth=anne.date_of_birth,
        tags=[],
        allergies=[],
    )
    siobhan = featured[2]
    add(
        first_name="Siobhan",
        last_name="O'Neil",
        sex_at_birth="female",
        date_of_birth=siobhan.date_of_birth,
        phone=siobhan.phone,
        tags=[],
        allergies=[],
    )

    while len(created) < PATIENTS_PER_CLINIC:
        add()

    now = timezone.now()
    for patient in rng.sample(created, 30):
        for _ in range(rng.randrange(1, 3)):
            kind, direction, body = rng.choice(COMMUNICATIONS)
            communication_create(
                actor=actor,
                patient_id=patient.pk,
                kind=kind,
                direction=direction,
                body=body,
                occurred_at=now - timedelta(days=rng.randrange(1, 365), minutes=rng.randrange(0, 600)),
            )


def seed(context: dict) -> None:
    """Demo patients for each demo clinic; a clinic that already has patients is left alone."""
    for clinic in context["clinics"]:
        if Patient.all_objects.filter(clinic=clinic).exists():
            continue
        _seed_clinic(clinic)
