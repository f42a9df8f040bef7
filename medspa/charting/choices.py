"""Chart states, template field types, signature meanings and the face chart's zones."""

from __future__ import annotations

from django.db import models


class ChartStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    NEEDS_SIGNOFF = "needs_signoff", "Needs sign-off"
    MD_SIGNED = "md_signed", "MD signed"
    LOCKED = "locked", "Locked"


# States whose content is signed and may never change again (the database refuses too).
SIGNED_STATES = frozenset({ChartStatus.NEEDS_SIGNOFF, ChartStatus.MD_SIGNED, ChartStatus.LOCKED})
# States a chart may be amended in.
AMENDABLE_STATES = frozenset({ChartStatus.MD_SIGNED, ChartStatus.LOCKED})


class FieldType(models.TextChoices):
    SHORT_TEXT = "short_text", "Short text"
    LONG_TEXT = "long_text", "Long text"
    NUMBER = "number", "Number"
    SELECT = "select", "Single choice"
    MULTISELECT = "multiselect", "Multiple choice"
    CHECKBOX = "checkbox", "Checkbox"
    DATE = "date", "Date"
    FACE_CHART = "face_chart", "Face chart"
    PRODUCTS = "products", "Products used"
    PHOTOS = "photos", "Photo set"
    SIGNATURE = "signature", "Signature"


# Field types whose answer lives outside `fields` (in the chart's own sections).
STRUCTURED_TYPES = frozenset({FieldType.FACE_CHART, FieldType.PRODUCTS, FieldType.PHOTOS, FieldType.SIGNATURE})


class SignatureKind(models.TextChoices):
    PROVIDER = "provider", "Provider"
    MEDICAL_DIRECTOR = "medical_director", "Medical director"
    AMENDMENT = "amendment", "Amendment"


SIGNATURE_MEANINGS = {
    SignatureKind.PROVIDER: "Performed the treatment and authored this record",
    SignatureKind.MEDICAL_DIRECTOR: "Reviewed and approved as medical director",
    SignatureKind.AMENDMENT: "Authored this amendment",
}


class ReviewNoteKind(models.TextChoices):
    RETURNED = "returned", "Returned to provider"
    INFO_REQUESTED = "info_requested", "Information requested"
    REPLY = "reply", "Reply"


class ProductUnit(models.TextChoices):
    UNITS = "units", "Units"
    SYRINGES = "syringes", "Syringes"
    ML = "ml", "mL"
    VIALS = "vials", "Vials"


class ProductType(models.TextChoices):
    NEUROTOXIN = "neurotoxin", "Neurotoxin"
    FILLER = "filler", "Dermal filler"
    BIOSTIMULATOR = "biostimulator", "Biostimulator"
    SKIN = "skin", "Skin / peel"
    OTHER = "other", "Other"


class Depth(models.TextChoices):
    INTRADERMAL = "intradermal", "Intradermal"
    SUBDERMAL = "subdermal", "Subdermal"
    SUBCUTANEOUS = "subcutaneous", "Subcutaneous"
    SUPRAPERIOSTEAL = "supraperiosteal", "Supraperiosteal"
    INTRAMUSCULAR = "intramuscular", "Intramuscular"


class Technique(models.TextChoices):
    BOLUS = "bolus", "Bolus"
    LINEAR = "linear", "Linear threading"
    FANNING = "fanning", "Fanning"
    SERIAL = "serial", "Serial puncture"
    MICRODROPLET = "microdroplet", "Microdroplet"


class Instrument(models.TextChoices):
    NEEDLE = "needle", "Needle"
    CANNULA = "cannula", "Cannula"


# Preset zones of the front-view face chart: key -> (label, x, y), normalized 0–1 from the
# top-left of the diagram. The diagram (templates/charting/partials/face.svg) draws them.
FACE_ZONES: dict[str, tuple[str, float, float]] = {
    "forehead": ("Forehead", 0.50, 0.17),
    "glabella": ("Glabella", 0.50, 0.29),
    "crows_feet_left": ("Crow's feet (left)", 0.80, 0.36),
    "crows_feet_right": ("Crow's feet (right)", 0.20, 0.36),
    "tear_trough_left": ("Tear trough (left)", 0.64, 0.42),
    "tear_trough_right": ("Tear trough (right)", 0.36, 0.42),
    "bunny_lines": ("Bunny lines", 0.50, 0.42),
    "cheek_left": ("Cheek (left)", 0.72, 0.52),
    "cheek_right": ("Cheek (right)", 0.28, 0.52),
    "nasolabial_left": ("Nasolabial fold (left)", 0.61, 0.61),
    "nasolabial_right": ("Nasolabial fold (right)", 0.39, 0.61),
    "lip_flip": ("Lip flip", 0.50, 0.64),
    "upper_lip": ("Upper lip", 0.50, 0.68),
    "lower_lip": ("Lower lip", 0.50, 0.73),
    "marionette_left": ("Marionette (left)", 0.60, 0.76),
    "marionette_right": ("Marionette (right)", 0.40, 0.76),
    "masseter_left": ("Masseter (left)", 0.80, 0.68),
    "masseter_right": ("Masseter (right)", 0.20, 0.68),
    "chin": ("Chin", 0.50, 0.84),
    "jawline_left": ("Jawline (left)", 0.72, 0.82),
    "jawline_right": ("Jawline (right)", 0.28, 0.82),
    "neck": ("Neck", 0.50, 0.96),
}
CUSTOM_ZONE = "custom"
