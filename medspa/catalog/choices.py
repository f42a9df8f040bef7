"""Catalog constants: room and equipment kinds, concerns, treatment types, deposits."""

from django.db import models

from medspa.core.permissions import Role


class RoomKind(models.TextChoices):
    TREATMENT = "treatment", "Treatment room"
    INJECTION = "injection", "Injection room"
    LASER = "laser", "Laser room"
    FACIAL = "facial", "Facial room"
    CONSULT = "consult", "Consult room"
    BODY = "body", "Body contouring room"
    PROCEDURE = "procedure", "Procedure room"


class EquipmentKind(models.TextChoices):
    LASER = "laser", "Laser"
    IPL = "ipl", "IPL"
    RF_MICRONEEDLING = "rf_microneedling", "RF microneedling"
    HYDRAFACIAL = "hydrafacial", "Hydradermabrasion"
    BODY_CONTOURING = "body_contouring", "Body contouring"
    LED = "led", "LED light therapy"
    ULTRASOUND = "ultrasound", "Ultrasound"
    OTHER = "other", "Other"


class Concern(models.TextChoices):
    """What a patient wants treated; the booking portal filters services by these slugs."""

    ACNE = "acne", "Acne"
    AGING = "aging", "Aging"
    FINE_LINES = "fine_lines", "Fine lines & wrinkles"
    VOLUME_LOSS = "volume_loss", "Volume loss"
    PIGMENTATION = "pigmentation", "Pigmentation & sun damage"
    HAIR_REMOVAL = "hair_removal", "Hair removal"
    TEXTURE = "texture", "Texture & pores"
    REDNESS = "redness", "Redness & rosacea"
    BODY_CONTOURING = "body_contouring", "Body contouring"
    SKIN_LAXITY = "skin_laxity", "Skin laxity"
    SCARRING = "scarring", "Scarring"
    HAIR_LOSS = "hair_loss", "Hair loss"
    SWEATING = "sweating", "Excessive sweating"


class TreatmentType(models.TextChoices):
    NON_INVASIVE = "non_invasive", "Non-invasive"
    INVASIVE = "invasive", "Invasive"


class DepositKind(models.TextChoices):
    NONE = "none", "No deposit"
    FIXED = "fixed", "Fixed amount"
    PERCENT = "percent", "Percent of price"


# Roles whose members can perform treatments (and so be listed as a service's providers).
PROVIDER_ROLES = (Role.PROVIDER, Role.MEDICAL_DIRECTOR, Role.OWNER)

DEFAULT_SERVICE_COLOR = "#a855f7"
MAX_DURATION_MINUTES = 12 * 60
MAX_BUFFER_MINUTES = 240
MAX_CONSULTATION_MONTHS = 60
