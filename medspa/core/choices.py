"""Constants shared across the platform."""

from django.db import models


class ActorKind(models.TextChoices):
    STAFF = "staff", "Staff"
    PATIENT = "patient", "Patient"
    SYSTEM = "system", "System"
    ANONYMOUS = "anonymous", "Anonymous"


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILURE = "failure", "Failure"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    DEAD = "dead", "Dead"


CURRENCIES = [
    ("USD", "US dollar"),
    ("CAD", "Canadian dollar"),
    ("EUR", "Euro"),
    ("GBP", "Pound sterling"),
    ("AUD", "Australian dollar"),
]

DEFAULT_IDLE_MINUTES = 15
