"""Demo charting and clinical photos for each demo clinic.

Runs after scheduling (the calendar with its completed visits). For every demo clinic:

- the chart template library, the demo medical director named in the clinic's charting
  settings, and how each service is charted (template, MD review, minimum before photos,
  aftercare) — neurotoxin and fillers need MD review and three before photos;
- charts for a dozen of the demo provider's visits, written, photographed, annotated and
  signed through the real services by the provider and the medical director (signing
  checks their demo password), in every state a clinic sees: locked (services without MD
  review, one with an amendment), MD signed, waiting in the MD queue (one with a question
  from the MD, one answered), one returned to Draft with the MD's comment, and drafts for
  today's arrived or in-progress visits (or the latest ones, on a quiet day);
- about 20 clinical photos per clinic: placeholder images drawn here with Pillow (a soft
  gradient, a simple face, "DEMO — angle / phase"), nothing downloaded or committed. One
  new patient's photo is taken without written photo consent, confirmed deliberately.

Only the demo provider's visits are charted: the demo medical director also performs
injectables, but the medical-director role may not write charts (it only co-signs).

Idempotent like the other demo modules: service settings are written only for services
without any, the clinic settings only when none are saved, and charts and photos only for
a clinic that has no chart. Deterministic for a given day (seeded random, visits in a
fixed order).
"""

from __future__ import annotations

import io
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from medspa.accounts.models import Membership
from medspa.catalog import selectors as catalog_selectors
from medspa.charting import services
from medspa.charting.models import Chart, ChartTemplate, ClinicChartSettings, ServiceChartSettings
from medspa.core.actors import Actor
from medspa.core.permissions import Role
from medspa.patients.services import patient_update
from medspa.photos import services as photo_services
from medspa.scheduling.choices import AppointmentStatus
from medspa.scheduling.models import Appointment

# How each kind of service is charted ------------------------------------------------------

AFTERCARE = {
    "neurotoxin": (
        "Stay upright for 4 hours and do not rub or massage the treated areas. No strenuous exercise, "
        "saunas, facials or hats that press on the forehead for 24 hours. Results begin in 3–5 days and "
        "peak at about 2 weeks; your review visit is at 2 weeks, when we can add units if needed. Call us "
        "straight away if you notice drooping of an eyelid or brow, double vision, or difficulty "
        "swallowing, speaking or breathing."
    ),
    "filler": (
        "Swelling, tenderness and bruising are common for 3–7 days; use a cold compress 10 minutes on, "
        "10 minutes off. For 48 hours avoid alcohol, strenuous exercise, heat (saunas, hot yoga), dental "
        "work and flights if you can, and do not massage the area unless we asked you to. Sleep on your "
        "back with your head raised the first night. Lips often look uneven until the swelling settles; "
        "your review visit is at 2 weeks. Call us at once — day or night — if you notice pale, dusky or "
        "mottled skin, severe or increasing pain, or any change in your vision."
    ),
    "injectable": (
        "Swelling, numbness and firmness in the treated area are expected for 1–2 weeks. Use ice as needed, "
        "sleep with your head raised and avoid strenuous exercise for 24 hours. After PRP, do not wash "
        "your hair or use styling products for 24 hours. Call us if you have difficulty swallowing, an "
        "uneven smile, or redness, heat or discharge that could be an infection."
    ),
    "laser": (
        "Mild redness and bumps around the follicles are normal for a few hours. Avoid sun and tanning "
        "(including self-tanner) for 2 weeks and use SPF 30+ daily. No hot tubs, saunas or intense workouts "
        "for 24 hours. Do not pluck, wax or thread between sessions — shaving is fine. Treated hairs shed "
        "over 1–3 weeks. Call us if you notice blisters or crusting."
    ),
    "ipl": (
        "Sun spots will darken and flake off over 7–14 days — please do not pick them. Redness may last "
        "24–48 hours. Use a gentle cleanser and moisturiser, SPF 30+ every day and stay out of the sun for "
        "2 weeks. Skip retinoids, acids and scrubs for 5 days. Call us if you notice blisters or crusting."
    ),
    "peel": (
        "Your skin will feel tight, then flake or peel for 3–7 days. Do not pick or pull the peeling skin. "
        "Use only a gentle cleanser, a bland moisturiser and SPF 30+; no retinoids, acids, scrubs, waxing "
        "or heavy sweating for 7 days. Call us if you notice blisters, oozing or a cold sore."
    ),
    "microneedling": (
        "Redness like a moderate sunburn is expected for 24–72 hours. Do not wash your face for 4 hours and "
        "wear no makeup for 24 hours. Use the post-care serum, a gentle cleanser and SPF 30+; no retinoids, "
        "acids or exfoliation for 5–7 days. Avoid the gym, saunas and swimming for 48 hours."
    ),
    "facial": (
        "Your skin may be slightly pink for a few hours. Wait 6 hours before makeup and 48 hours before "
        "exfoliants or retinoids. Moisturise, drink water and wear SPF 30+ every day."
    ),
    "consultation": (
        "We will email your personalised treatment plan and quote. Before injectables, avoid alcohol, "
        "fish oil, ibuprofen and aspirin for 3 days (do not stop prescribed blood thinners without your "
        "doctor), and pause retinoids 5 days before peels, laser or microneedling."
    ),
}


@dataclass(frozen=True)
class Plan:
    template: str  # key of the library template
    md_review: bool = False
    min_before: int = 0


PLANS = {
    "neurotoxin": Plan("neurotoxin", md_review=True, min_before=3),
    "filler": Plan("dermal-filler", md_review=True, min_before=3),
    "injectable": Plan("soap-note", md_review=True),  # Kybella, PRP: a SOAP note the MD reviews
    "laser": Plan("laser-ipl"),
    "ipl": Plan("laser-ipl"),
    "peel": Plan("chemical-peel"),
    "microneedling": Plan("microneedling"),
    "facial": Plan("facial"),
    "consultation": Plan("consultation"),
}
REVIEWED = frozenset(k for k, p in PLANS.items() if p.md_review)

# (words in the service name, kind), first match wins; then the category decides.
NAME_KINDS = [
    (("botox", "neurotoxin", "dysport", "xeomin", "daxxify", "lip flip"), "neurotoxin"),
    (("filler",), "filler"),
    (("ipl", "photofacial"), "ipl"),
    (("laser",), "laser"),
    (("peel",), "peel"),
    (("microneedling",), "microneedling"),
    (("facial", "dermaplaning", "led "), "facial"),
    (("consult",), "consultation"),
]
CATEGORY_KINDS = {
    "injectables": "injectable",
    "laser & light": "laser",
    "skin": "facial",
    "consultations": "consultation",
}


def service_kind(service) -> str | None:
    """Which demo charting plan a service follows (by its name, then its category)."""
    name = f"{service.name.lower()} "
    for words, kind in NAME_KINDS:
        if any(word in name for word in words):
            return kind
    category = service.category.name.lower() if service.category_id else ""
    return CATEGORY_KINDS.get(category)


# Chart content ------------------------------------------------------------------------------

TOXINS = [
    # name, brand, lot prefix, dilution, units per Botox unit
    ("Botox Cosmetic", "Allergan Aesthetics", "C", "2.5 mL saline / 100 U", 1),
    ("Dysport", "Galderma", "D", "3.0 mL saline / 300 U", Decimal("2.5")),
    ("Xeomin", "Merz Aesthetics", "X", "2.5 mL saline / 100 U", 1),
]
TOXIN_ZONES = [  # zones treated together, Botox units per zone, how often treated
    (("glabella",), 20, 1.0),
    (("forehead",), 10, 0.7),
    (("crows_feet_left", "crows_feet_right"), 12, 0.8),
    (("bunny_lines",), 4, 0.2),
    (("lip_flip",), 4, 0.15),
]
LIP_FILLERS = [("Juvéderm Volbella XC", "Allergan Aesthetics", "V"), ("Restylane Kysse", "Galderma", "K")]
CHEEK_FILLERS = [("Juvéderm Voluma XC", "Allergan Aesthetics", "VM"), ("Restylane Lyft", "Galderma", "L")]
PEELS = [
    ("Jessner's solution", "Jessner's Peel", "Obagi Medical", 3, 3, False),
    ("TCA 15%", "TCA 15% Peel", "PCA Skin", 2, 4, False),
    ("Glycolic acid 35%", "Glycolic 35% Peel", "Image Skincare", 1, 4, True),
]


def _lot(rng: random.Random, prefix: str) -> str:
    return f"{prefix}{rng.randrange(1000, 9999)}{rng.choice('ABCDEF')}{rng.randrange(1, 9)}"


def _expiry(rng: random.Random, treated_on: date) -> str:
    """A lot that expires on the last day of a month 4 to 14 months after the treatment."""
    month = treated_on.month - 1 + rng.randrange(4, 15)
    first = date(treated_on.year + month // 12, month % 12 + 1, 1)
    return ((first + timedelta(days=32)).replace(day=1) - timedelta(days=1)).isoformat()


def _num(value) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def _fitzpatrick(patient) -> str:
    return patient.skin_type if patient.skin_type in ("I", "II", "III", "IV", "V", "VI") else "III"


def _close(rng: random.Random, follow_up: str, *, events: str = "None observed.") -> dict:
    return {"tolerance": "Well" if rng.random() < 0.9 else "Fair", "adverse_events": events, "follow_up": follow_up}


def _assessment(concerns: str) -> dict:
    return {"concerns": concerns, "contraindications_reviewed": True, "pregnant_or_nursing": "No"}


def neurotoxin_content(rng: random.Random, patient, treated_on: date) -> dict:
    name, brand, prefix, dilution, factor = rng.choice(TOXINS)
    zones = [(z, u) for group, u, often in TOXIN_ZONES if rng.random() < often for z in group]
    product = {
        "id": _uuid(rng),
        "name": name,
        "brand": brand,
        "product_type": "neurotoxin",
        "lot_number": _lot(rng, prefix),
        "expiry_date": _expiry(rng, treated_on),
        "unit": "units",
        "dilution": dilution,
    }
    rows = [
        {
            "zone": zone,
            "units": _num(units * factor),
            "product_id": product["id"],
            "depth": "intramuscular",
            "technique": "bolus",
            "instrument": "needle",
            "needle": "32G 1/2 in",
        }
        for zone, units in zones
    ]
    product["quantity"] = _num(sum(Decimal(r["units"]) for r in rows))
    concerns = {
        "glabella": "frown lines (11s)",
        "forehead": "horizontal forehead lines",
        "crows_feet_left": "crow's feet",
        "bunny_lines": "bunny lines",
        "lip_flip": "gummy smile",
    }
    wanted = [concerns[z] for z, _ in zones if z in concerns]
    return {
        "fields": {
            **_assessment("Bothered by " + ", ".join(wanted) + ". Wants a natural result that still moves."),
            **_close(rng, "2 weeks"),
        },
        "products": [product],
        "injections": rows,
        "notes": "Marked at rest and on animation. Cleansed with alcohol; ice for comfort. "
        + (
            "Repeat patient; last treatment 4 months ago with a good result."
            if rng.random() < 0.6
            else "First treatment."
        ),
    }


def filler_content(rng: random.Random, patient, treated_on: date, *, cheeks: bool) -> dict:
    name, brand, prefix = rng.choice(CHEEK_FILLERS if cheeks else LIP_FILLERS)
    syringes = 2 if cheeks else 1
    product = {
        "id": _uuid(rng),
        "name": name,
        "brand": brand,
        "product_type": "filler",
        "lot_number": _lot(rng, prefix),
        "expiry_date": _expiry(rng, treated_on),
        "unit": "ml",
        "quantity": _num(syringes),
        "dilution": "",
    }
    pid = product["id"]
    if cheeks:
        rows = [
            _row("cheek_left", "0.7", pid, "supraperiosteal", "bolus", "needle", "27G"),
            _row("cheek_right", "0.7", pid, "supraperiosteal", "bolus", "needle", "27G"),
            _row(
                "custom",
                "0.3",
                pid,
                "subcutaneous",
                "fanning",
                "cannula",
                "25G",
                x=0.79,
                y=0.47,
                label="Zygomatic arch (left)",
            ),
            _row(
                "custom",
                "0.3",
                pid,
                "subcutaneous",
                "fanning",
                "cannula",
                "25G",
                x=0.21,
                y=0.47,
                label="Zygomatic arch (right)",
            ),
        ]
        concerns = "Flattening of the mid-face and early tear-trough hollowing; looks tired in photos."
    else:
        rows = [
            _row("upper_lip", "0.35", pid, "subdermal", "serial", "needle", "30G"),
            _row("lower_lip", "0.3", pid, "subdermal", "serial", "needle", "30G"),
            _row(
                "custom",
                "0.2",
                pid,
                "intradermal",
                "linear",
                "needle",
                "30G",
                x=0.5,
                y=0.655,
                label="Vermilion border (upper)",
            ),
            _row(
                "custom", "0.15", pid, "subdermal", "linear", "needle", "30G", x=0.47, y=0.63, label="Philtral columns"
            ),
        ]
        concerns = "Thin upper lip and mild asymmetry; wants subtle volume and a defined border."
    return {
        "fields": {
            **_assessment(concerns),
            "anesthetic": rng.choice(["BLT cream", "Lidocaine 4%"]),
            "hyaluronidase_available": True,
            **_close(rng, "2 weeks", events="Mild swelling; no blanching. Capillary refill under 2 s throughout."),
        },
        "products": [product],
        "injections": rows,
        "notes": "Aspirated before each bolus. Massaged to smooth. Hyaluronidase and the occlusion kit in the room.",
    }


def _row(zone, units, product_id, depth, technique, instrument, needle, *, x=None, y=None, label="") -> dict:
    row = {
        "zone": zone,
        "units": units,
        "product_id": product_id,
        "depth": depth,
        "technique": technique,
        "instrument": instrument,
        "needle": needle,
        "label": label,
    }
    if x is not None:
        row |= {"x": x, "y": y}
    return row


def injectable_content(rng: random.Random, patient, treated_on: date, service) -> dict:
    if "prp" in service.name.lower():
        subjective = "Gradual thinning at the crown and part line over 2 years. No recent illness or new medications."
        objective = "Diffuse thinning, Ludwig I. Scalp healthy. 20 mL blood drawn, spun 10 min; 4 mL PRP."
        plan = "PRP injected to the crown and part line, 0.1 mL per point. Repeat monthly ×3, review at 4 months."
    else:
        subjective = "Fullness under the chin despite stable weight; wants a defined jawline."
        objective = "Moderate submental fat, good skin elasticity, no laxity of the platysma bands."
        plan = "Kybella 2 mL over a 1 cm grid, 0.2 mL per point. Review in 6 weeks for a second session."
    return {
        "fields": {
            "subjective": subjective,
            "objective": objective,
            "assessment": "Good candidate; consent reviewed and signed. No contraindications.",
            "plan": plan,
        },
        "notes": "Tolerated well. Ice applied after.",
    }


def laser_content(rng: random.Random, patient, treated_on: date, service, *, ipl: bool) -> dict:
    skin = _fitzpatrick(patient)
    dark = skin in ("V", "VI")
    if ipl:
        settings_ = {
            "device": "IPL",
            "wavelength": "560",
            "fluence": rng.choice(["14", "15", "16"]),
            "pulse_width": "10",
        }
        settings_ |= {"spot_size": "15", "passes": "2"}
        areas = "Full face, sparing the upper eyelids; extra pass over the sun spots on both cheeks."
        response = ["Erythema"]
        follow = "4 weeks"
    else:
        device, wavelength = ("Nd:YAG laser", "1064") if dark else ("Alexandrite laser", "755")
        settings_ = {"device": device, "wavelength": wavelength, "fluence": rng.choice(["14", "16", "18"])}
        settings_ |= {"pulse_width": "3", "spot_size": "15" if "large" in service.name.lower() else "12", "passes": "1"}
        areas = rng.choice(
            ["Full legs", "Back and shoulders"]
            if "large" in service.name.lower()
            else ["Underarms", "Upper lip and chin", "Bikini line"]
        )
        response = ["Erythema", "Edema"]
        follow = "4 weeks"
    return {
        "fields": {
            "fitzpatrick": skin,
            "recent_sun": "No",
            "test_spot": True,
            **settings_,
            "areas": areas,
            "response": response,
            **_close(rng, follow),
        },
        "notes": "Cooling gel and eye protection for patient and provider. Shaved before treatment.",
    }


def peel_content(rng: random.Random, patient, treated_on: date) -> dict:
    agent, product_name, brand, layers, minutes, neutralized = rng.choice(PEELS)
    product = {
        "id": _uuid(rng),
        "name": product_name,
        "brand": brand,
        "product_type": "skin",
        "lot_number": _lot(rng, "P"),
        "expiry_date": _expiry(rng, treated_on),
        "unit": "ml",
        "quantity": "2",
        "dilution": "",
    }
    return {
        "fields": {
            "prep": "Acetone",
            "agent": agent,
            "layers": str(layers),
            "contact_time": str(minutes),
            "frosting": "Level 1",
            "neutralized": neutralized,
            **_close(rng, "4 weeks"),
        },
        "products": [product],
        "notes": "Petrolatum on the nasal alae and lip commissures. Fan for comfort; even pinkness, no hot spots.",
    }


def microneedling_content(rng: random.Random, patient, treated_on: date) -> dict:
    return {
        "fields": {
            "device": "RF microneedling",
            "depth": rng.choice(["1.5", "2"]),
            "passes": "3",
            "areas": "Full face at 1.0–1.5 mm; acne scarring on both cheeks at 2.0 mm; forehead at 0.75 mm.",
            "serum": "Hyaluronic acid serum",
            "endpoint": "Pinpoint bleeding",
            **_close(rng, "4 weeks"),
        },
        "notes": "Topical lidocaine 30 minutes before. Second of a series of three.",
    }


def facial_content(rng: random.Random, patient, treated_on: date) -> dict:
    return {
        "fields": {
            "skin_analysis": rng.choice(
                [
                    "Dehydrated, congestion on the chin and nose, mild redness on the cheeks.",
                    "Oily T-zone with open comedones; dry cheeks. No active breakout.",
                    "Dull and uneven tone, fine lines around the eyes, good hydration.",
                ]
            ),
            "facial_type": "HydraFacial",
            "steps": ["Cleanse", "Exfoliate", "Extractions", "Mask"] + (["LED"] if rng.random() < 0.4 else []),
            "home_care": "Gentle cleanser, hyaluronic serum morning and night, SPF 30+ daily; retinol after 48 h.",
        },
        "notes": "",
    }


def consultation_content(rng: random.Random, patient, treated_on: date) -> dict:
    options = ["Forehead", "Glabella", "Crow's feet", "Lips", "Cheeks", "Jawline", "Neck", "Skin texture"]
    areas = [a for a in patient.preferred_treatment_areas or [] if a in options] or rng.sample(options, 2)
    concerns = ", ".join(c.lower() for c in patient.aesthetic_concerns or []) or "fine lines and dullness"
    return {
        "fields": {
            "goals": f"Concerned about {concerns}. Wants to look refreshed, not 'done', before a family wedding.",
            "areas_of_concern": areas,
            "fitzpatrick": _fitzpatrick(patient),
            "plan": "Neurotoxin to the upper face now; a series of three IPL sessions 4 weeks apart in the autumn; "
            "daily SPF and a retinoid at night. Quote given.",
            "budget": True,
        },
        "notes": "Reviewed medical history and expectations. Before-and-after gallery shown.",
    }


def chart_content(rng: random.Random, kind: str, patient, service, treated_on: date) -> dict:
    if kind == "neurotoxin":
        return neurotoxin_content(rng, patient, treated_on)
    if kind == "filler":
        return filler_content(rng, patient, treated_on, cheeks="cheek" in service.name.lower())
    if kind == "injectable":
        return injectable_content(rng, patient, treated_on, service)
    if kind in ("laser", "ipl"):
        return laser_content(rng, patient, treated_on, service, ipl=kind == "ipl")
    if kind == "peel":
        return peel_content(rng, patient, treated_on)
    if kind == "microneedling":
        return microneedling_content(rng, patient, treated_on)
    if kind == "facial":
        return facial_content(rng, patient, treated_on)
    return consultation_content(rng, patient, treated_on)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# Placeholder photos -----------------------------------------------------------------------

PHOTO_SIZE = (900, 1200)
SKIN = [(241, 205, 180), (224, 172, 138), (198, 140, 100), (141, 94, 64), (233, 190, 160)]
HAIR = [(74, 52, 38), (30, 26, 24), (150, 110, 70), (96, 70, 50), (40, 34, 30)]
BACKDROPS = [((226, 232, 240), (148, 163, 184)), ((237, 233, 254), (167, 139, 250)), ((224, 242, 254), (125, 167, 201))]
ANGLE_TEXT = {"front": "front", "left_oblique": "left oblique", "right_oblique": "right oblique"}


@cache
def _font(size: int):
    try:
        from font_source_sans_pro import font_files_ttf

        return ImageFont.truetype(font_files_ttf["SourceSansProSemibold"], size)
    except (ImportError, KeyError, OSError):
        return ImageFont.load_default(size=size)


@cache
def photo_bytes(angle: str, phase: str, look: int) -> bytes:
    """A small JPEG placeholder: gradient backdrop, a simple face turned to `angle`, a label."""
    width, height = PHOTO_SIZE
    top, bottom = BACKDROPS[look % len(BACKDROPS)]
    mask = Image.linear_gradient("L").resize(PHOTO_SIZE)
    image = Image.composite(Image.new("RGB", PHOTO_SIZE, bottom), Image.new("RGB", PHOTO_SIZE, top), mask)
    draw = ImageDraw.Draw(image)
    skin, hair = SKIN[look % len(SKIN)], HAIR[look % len(HAIR)]
    shade = tuple(max(0, c - 28) for c in skin)
    turn = {"left_oblique": -1, "right_oblique": 1}.get(angle, 0)
    cx, dx = width // 2, 55 * turn  # the head's centre; the features shift the way it turns
    draw.rounded_rectangle((cx - 330, 1000, cx + 330, 1300), radius=160, fill=(71, 85, 105))  # shoulders
    draw.rectangle((cx - 85, 820, cx + 85, 1020), fill=shade)  # neck
    draw.ellipse((cx - 250, 190, cx + 250, 700), fill=hair)  # hair behind the head
    for side in (-1, 1):  # ears (the far one hidden when turned)
        if side != -turn:
            draw.ellipse((cx + side * 225 - 30, 470, cx + side * 225 + 30, 580), fill=shade)
    draw.ellipse((cx - 220, 260, cx + 220, 860), fill=skin)  # face
    draw.chord((cx - 235, 220, cx + 235, 520), 180, 360, fill=hair)  # fringe
    for side in (-1, 1):
        ex = cx + dx + side * (85 - 15 * turn * side)
        draw.ellipse((ex - 30, 510, ex + 30, 540), fill=(255, 255, 255))
        draw.ellipse((ex - 12 + 6 * turn, 513, ex + 12 + 6 * turn, 537), fill=(60, 45, 35))
        draw.line((ex - 38, 480, ex + 34, 472), fill=hair, width=8)  # brow
    draw.line((cx + dx, 540, cx + dx + 18 * (turn or 1), 660, cx + dx - 12, 665), fill=shade, width=6)  # nose
    lips = 22 if phase == "after" else 16
    draw.chord((cx + dx - 60, 700 - lips, cx + dx + 60, 700 + lips), 0, 180, fill=(190, 95, 100))
    draw.chord((cx + dx - 60, 700 - lips, cx + dx + 60, 700 + lips // 2), 180, 360, fill=(176, 84, 92))
    label = f"DEMO — {ANGLE_TEXT.get(angle, angle)} / {phase}"
    draw.rounded_rectangle((40, 40, width - 40, 130), radius=18, fill=(15, 23, 42))
    draw.text((width // 2, 85), label, font=_font(48), fill=(255, 255, 255), anchor="mm")
    draw.text(
        (width // 2, height - 40),
        "Placeholder image for the demo clinic — not a real patient",
        font=_font(26),
        fill=(255, 255, 255),
        anchor="mm",
    )
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


# What the medical director writes: a return comment, a question and the provider's answer.
RETURN_COMMENTS = {
    "neurotoxin": "Please record the injection depth and needle for each site so the dose map is complete. "
    "Sign again once updated — thank you.",
    "filler": "Please record the depth and needle for each injection site and confirm there was no blanching "
    "during treatment. Sign again once updated — thank you.",
    "injectable": "Please add the patient's previous treatments for this area and the post-treatment check "
    "before discharge to the note. Sign again once updated — thank you.",
}
QUESTIONS = {
    "neurotoxin": (
        "Any history of brow or eyelid ptosis after previous treatments? Please confirm the dose was discussed "
        "with the patient.",
        "No ptosis or other reactions after previous treatments. Dose and areas discussed and agreed beforehand.",
    ),
    "filler": (
        "Was the patient taking any blood thinners or supplements (fish oil, ginkgo, vitamin E) this week?",
        "None — confirmed at check-in. Bruising risk discussed; arnica recommended.",
    ),
    "injectable": (
        "Please confirm the post-treatment check before discharge and when the next session is planned.",
        "Checked before discharge: no difficulty swallowing, smile symmetric. Next session booked in 6 weeks.",
    ),
}


# Seeding ------------------------------------------------------------------------------------


def seed(context: dict) -> None:
    for clinic in context["clinics"]:
        seed_clinic(clinic)


def _member(clinic, role: str, prefix: str):
    memberships = Membership.objects.filter(clinic=clinic, role=role, is_active=True).select_related("user")
    preferred = memberships.filter(user__email=f"{prefix}@{clinic.slug}.demo").first()
    found = preferred or memberships.order_by("user__email").first()
    return found.user if found else None


def seed_clinic(clinic, *, now: datetime | None = None) -> dict:
    """Charting settings, then charts and photos for a clinic without charts."""
    now = now or timezone.now()
    system = Actor.system(clinic=clinic, label="demo")
    provider = _member(clinic, Role.PROVIDER, "provider")
    md = _member(clinic, Role.MEDICAL_DIRECTOR, "md")
    services.template_library_install(clinic=clinic)
    if md is not None and not ClinicChartSettings.objects.filter(clinic=clinic).exists():
        services.clinic_settings_update(actor=system, medical_director_id=md.pk, allow_sign_with_missing=True)
    templates = {t.key: t for t in ChartTemplate.objects.filter(clinic=clinic)}
    configured = set(ServiceChartSettings.objects.filter(clinic=clinic).values_list("service_id", flat=True))
    for service in catalog_selectors.services_for(actor=system, include_inactive=True).select_related("category"):
        kind = service_kind(service)
        if kind is None or service.pk in configured:
            continue
        plan = PLANS[kind]
        services.service_settings_update(
            actor=system,
            service_id=service.pk,
            template_id=templates[plan.template].pk,
            requires_md_review=plan.md_review,
            min_before_photos=plan.min_before,
            aftercare=AFTERCARE[kind],
        )
    if provider is None or md is None or Chart.all_objects.filter(clinic=clinic).exists():
        return {"charts": 0}
    return _Charter(clinic, provider, md, now).run()


@dataclass
class Visit:
    appointment: Appointment
    kind: str


class _Charter:
    """Writes one clinic's demo charts as its provider and medical director would."""

    def __init__(self, clinic, provider, md, now: datetime) -> None:
        self.clinic, self.now = clinic, now
        self.rng = random.Random(f"charting-demo-{clinic.slug}")  # noqa: S311 - demo data, not secrets
        self.provider = Actor.staff(user=provider, clinic=clinic, role=Role.PROVIDER)
        self.md = Actor.staff(user=md, clinic=clinic, role=Role.MEDICAL_DIRECTOR)
        self.password = settings.DEMO_PASSWORD
        self.used_patients: set = set()
        self.charts: dict[str, list] = {}

    # Choosing visits ------------------------------------------------------------------

    def _visits(self) -> list[Visit]:
        rows = (
            Appointment.objects.filter(clinic=self.clinic, provider=self.provider.user)
            .select_related("patient", "service__category")
            .order_by("start_at", "pk")
        )
        return [Visit(a, kind) for a in rows if (kind := service_kind(a.service))]

    def _take(self, visits: list[Visit], count: int, *, newest: bool = False) -> list[Visit]:
        """Up to `count` visits of distinct, not yet charted patients, in time order."""
        pool = [v for v in visits if v.appointment.patient_id not in self.used_patients]
        pool = pool[::-1] if newest else pool
        chosen: list[Visit] = []
        for visit in pool if newest else self.rng.sample(pool, len(pool)):
            if len(chosen) == count:
                break
            if visit.appointment.patient_id in {c.appointment.patient_id for c in chosen}:
                continue
            chosen.append(visit)
        self.used_patients |= {v.appointment.patient_id for v in chosen}
        return sorted(chosen, key=lambda v: (v.appointment.start_at, str(v.appointment.pk)))

    # Writing charts -------------------------------------------------------------------

    def _open(self, visit: Visit, *, complete: bool = True) -> Chart:
        appointment = visit.appointment
        chart = services.chart_open_for_appointment(actor=self.provider, appointment_id=appointment.pk).chart
        treated_on = timezone.localdate(appointment.start_at)
        content = chart_content(self.rng, visit.kind, appointment.patient, appointment.service, treated_on)
        if not complete:  # charting as the visit goes: the assessment so far, nothing used yet
            fields = dict(list(content["fields"].items())[:2])
            content = {"fields": fields, "notes": ""}
        content["aftercare"] = chart.content.get("aftercare", "")
        return services.chart_save(actor=self.provider, chart_id=chart.pk, content=content, version=chart.version)

    def _photos(self, chart: Chart, visit: Visit, shots: list[tuple[str, str]], *, note: str = "", override=False):
        appointment, patient = visit.appointment, visit.appointment.patient
        look = self.rng.randrange(6)
        taken = []
        for index, (angle, phase) in enumerate(shots):
            if phase == "after":
                at = appointment.end_at - timedelta(minutes=3)
            else:
                at = appointment.start_at + timedelta(minutes=2 + index)
            upload = SimpleUploadedFile(
                f"IMG_{4100 + self.rng.randrange(5000)}.jpg", photo_bytes(angle, phase, look), content_type="image/jpeg"
            )
            taken.append(
                photo_services.photo_upload(
                    actor=self.provider,
                    patient_id=patient.pk,
                    upload=upload,
                    angle=angle,
                    phase=phase,
                    appointment_id=appointment.pk,
                    chart_id=chart.pk,
                    note=note if index == 0 else "",
                    taken_at=min(at, self.now),
                    # Consent to clinical photos is on the demo patients' records; only the
                    # deliberate override confirms taking one without it.
                    confirm_without_consent=override,
                )
            )
        return taken

    def _annotate(self, photo, *, lips: bool) -> None:
        if lips:
            shapes = [
                {"kind": "point", "color": "red", "points": [[0.46, 0.575]], "number": 1, "width": 3},
                {"kind": "point", "color": "red", "points": [[0.54, 0.575]], "number": 2, "width": 3},
                {"kind": "line", "color": "blue", "points": [[0.43, 0.585], [0.57, 0.585]], "width": 2},
                {"kind": "text", "color": "white", "points": [[0.6, 0.55]], "text": "Define upper border"},
            ]
        else:
            shapes = [
                {"kind": "point", "color": "red", "points": [[0.5, 0.39]], "number": 1, "width": 3},
                {"kind": "point", "color": "red", "points": [[0.45, 0.41]], "number": 2, "width": 3},
                {"kind": "point", "color": "red", "points": [[0.55, 0.41]], "number": 3, "width": 3},
                {"kind": "line", "color": "yellow", "points": [[0.4, 0.35], [0.6, 0.35]], "width": 2},
            ]
        photo_services.annotation_save(actor=self.provider, photo_id=photo.pk, shapes=shapes, base_version=0)

    def _sign(self, chart: Chart, reason: str = "") -> Chart:
        return services.chart_sign(
            actor=self.provider, chart_id=chart.pk, password=self.password, override_reason=reason
        )

    def _record(self, state: str, chart: Chart) -> Chart:
        self.charts.setdefault(state, []).append(chart)
        return chart

    # The plan -------------------------------------------------------------------------

    def run(self) -> dict:
        visits = self._visits()
        done = [v for v in visits if v.appointment.status == AppointmentStatus.COMPLETED]
        self._reviewed([v for v in done if v.kind in REVIEWED])
        self._locked([v for v in done if v.kind not in REVIEWED])
        self._drafts(visits, done)
        return {state: len(charts) for state, charts in self.charts.items()}

    def _before(self, count: int) -> list[tuple[str, str]]:
        return [("front", "before"), ("left_oblique", "before"), ("right_oblique", "before")][:count]

    def _reviewed(self, done: list[Visit]) -> None:
        """Injectables: MD signed (the oldest), one returned, the rest waiting in the queue.
        When there are few, the queue is filled first."""
        priority = ["asked", "md_signed", "returned", "queued", "md_signed", "answered"]
        chosen = self._take(done, len(priority))
        age = {"md_signed": 0, "returned": 1, "queued": 2, "asked": 2, "answered": 2}
        roles = sorted(priority[: len(chosen)], key=lambda r: age[r])
        annotated = 0
        with_after = False
        for role, visit in zip(roles, chosen, strict=True):
            photos = PLANS[visit.kind].min_before
            chart = self._open(visit)
            if role == "returned" and visit.kind != "injectable":  # what the medical director will ask for
                rows = [
                    {k: v for k, v in r.items() if k not in ("depth", "needle")} for r in chart.content["injections"]
                ]
                chart = services.chart_save(
                    actor=self.provider,
                    chart_id=chart.pk,
                    content={**chart.content, "injections": rows},
                    version=chart.version,
                )
            short = role == "asked" and photos > 0  # signed with a reason: a photo was declined
            shots = self._before(photos - 1 if short else photos)
            if role == "md_signed" and shots and not with_after:
                shots.append(("front", "after"))
                with_after = True
            taken = self._photos(chart, visit, shots) if shots else []
            if taken and annotated < 2 and visit.kind in ("neurotoxin", "filler"):
                self._annotate(
                    taken[0], lips=visit.kind == "filler" and "cheek" not in visit.appointment.service.name.lower()
                )
                annotated += 1
            reason = "Patient declined the right oblique photo today." if short else ""
            chart = self._sign(chart, reason)
            if role == "md_signed":
                self._record(
                    "md_signed", services.chart_md_sign(actor=self.md, chart_id=chart.pk, password=self.password)
                )
            elif role == "returned":
                comment = RETURN_COMMENTS[visit.kind]
                self._record("returned", services.chart_return(actor=self.md, chart_id=chart.pk, comment=comment))
            elif role in ("asked", "answered"):
                question, reply = QUESTIONS[visit.kind]
                chart = services.chart_request_info(actor=self.md, chart_id=chart.pk, comment=question)
                if role == "answered":
                    chart = services.chart_reply(actor=self.provider, chart_id=chart.pk, comment=reply)
                self._record("needs_signoff", chart)
            else:
                self._record("needs_signoff", chart)

    def _locked(self, done: list[Visit]) -> None:
        """Services without MD review: one of each of a few kinds, locked on the provider's
        signature; an amendment on the laser chart (or the first one)."""
        wanted = ["ipl", "laser", "consultation", "peel", "microneedling", "facial"]
        chosen: list[Visit] = []
        for kind in wanted:
            # (IPL is not offered to skin types V and VI.)
            fits = [
                v
                for v in done
                if v.kind == kind and not (kind == "ipl" and v.appointment.patient.skin_type in ("V", "VI"))
            ]
            picked = self._take(fits, 1)
            chosen.extend(picked)
            if len(chosen) == 3:
                break
        chosen.sort(key=lambda v: v.appointment.start_at)
        locked = []
        for visit in chosen:
            chart = self._open(visit)
            if visit.kind == "ipl":
                self._photos(chart, visit, [("front", "before")])
            locked.append(self._record("locked", self._sign(chart)))
        if not locked:
            return
        target = next((c for c in locked if c.content["fields"].get("fluence")), locked[0])
        if target.content["fields"].get("fluence"):
            given = Decimal(target.content["fields"]["fluence"])
            reason, text = (
                "Device setting recorded incorrectly",
                f"Fluence was recorded as {_num(given)} J/cm². The device log shows {_num(given - 2)} J/cm² was "
                "delivered for every pass. No change to the treatment or the plan.",
            )
        else:
            reason, text = (
                "Late entry: follow-up call",
                "Patient called the next day: mild redness settled overnight, no other concerns. Advised to "
                "continue the aftercare as written.",
            )
        services.chart_amend(actor=self.provider, chart_id=target.pk, reason=reason, text=text, password=self.password)

    def _drafts(self, visits: list[Visit], done: list[Visit]) -> None:
        """Drafts for today's arrived and in-progress visits; on a quiet day (or at night)
        the latest finished visits, still to be signed."""
        today = [
            v for v in visits if v.appointment.status in (AppointmentStatus.ARRIVED, AppointmentStatus.IN_PROGRESS)
        ]
        drafts = [(v, False) for v in self._take(today, 3)]
        if len(drafts) < 2:
            drafts += [(v, True) for v in self._take(done, 2 - len(drafts), newest=True)]
        for index, (visit, complete) in enumerate(drafts):
            chart = self._open(visit, complete=complete)
            if index == 0:
                # A patient whose signed photo consent is not on file yet: the provider takes
                # the baseline photo after verbal consent, confirming explicitly.
                patient = visit.appointment.patient
                patient_update(
                    actor=Actor.system(clinic=self.clinic, label="demo"),
                    patient_id=patient.pk,
                    data={"clinical_photo_consent": False},
                    version=None,
                )
                patient.clinical_photo_consent = False
                self._photos(
                    chart,
                    visit,
                    [("front", "before")],
                    note="Verbal consent to clinical photos; written consent to be signed at checkout.",
                    override=True,
                )
            self._record("draft", chart)
