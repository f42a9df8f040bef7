"""Patient constants."""

from django.db import models


class PatientStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DISCHARGED = "discharged", "Discharged"
    DECEASED = "deceased", "Deceased"


class ProfileType(models.TextChoices):
    PATIENT = "patient", "Patient"
    CONTACT = "contact", "Contact (not treated)"


class PatientSource(models.TextChoices):
    STAFF = "staff", "Added by staff"
    IMPORT = "import", "Imported"
    ONLINE_BOOKING = "online_booking", "Online booking"


class SexAtBirth(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNDISCLOSED = "undisclosed", "Prefer not to say"


class SkinType(models.TextChoices):
    I = "I", "I — always burns, never tans"  # noqa: E741
    II = "II", "II — usually burns, tans minimally"
    III = "III", "III — sometimes burns, tans uniformly"
    IV = "IV", "IV — burns minimally, always tans well"
    V = "V", "V — very rarely burns, tans very easily"
    VI = "VI", "VI — never burns"


class AllergySeverity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"
    UNKNOWN = "unknown", "Unknown"


class RelationshipKind(models.TextChoices):
    PARENT = "parent", "Parent / guardian"
    CHILD = "child", "Child"
    SPOUSE = "spouse", "Spouse / partner"
    SIBLING = "sibling", "Sibling"
    OTHER = "other", "Other"


# The kind seen from the other profile: A is B's parent <=> B is A's child.
INVERSE_RELATIONSHIP = {
    RelationshipKind.PARENT: RelationshipKind.CHILD,
    RelationshipKind.CHILD: RelationshipKind.PARENT,
    RelationshipKind.SPOUSE: RelationshipKind.SPOUSE,
    RelationshipKind.SIBLING: RelationshipKind.SIBLING,
    RelationshipKind.OTHER: RelationshipKind.OTHER,
}


class CommunicationKind(models.TextChoices):
    CALL = "call", "Call"
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"
    IN_PERSON = "in_person", "In person"
    NOTE = "note", "Note"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"
    INTERNAL = "internal", "Internal"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to check"
    RUNNING = "running", "Checking"
    DRY_RUN_DONE = "dry_run_done", "Checked"
    IMPORTING = "importing", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"


class ImportMode(models.TextChoices):
    CHECK = "check", "Check (writes nothing)"
    COMMIT = "commit", "Import"
