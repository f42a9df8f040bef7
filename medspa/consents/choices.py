"""Closed vocabularies of forms and consents."""

from django.db import models


class FormKind(models.TextChoices):
    INTAKE = "intake", "Intake / medical history"
    CONSENT = "consent", "Treatment consent"
    PHOTO_RELEASE = "photo_release", "Photo release"
    POST_CARE = "post_care", "Post-care acknowledgement"
    FINANCIAL = "financial", "Financial policy"
    ASSESSMENT = "assessment", "Assessment"


class FieldType(models.TextChoices):
    SHORT_TEXT = "short_text", "Short text"
    LONG_TEXT = "long_text", "Long text"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    YES_NO = "yes_no", "Yes / no"
    SINGLE_CHOICE = "single_choice", "Single choice"
    MULTI_CHOICE = "multi_choice", "Multiple choice"
    CHECKBOX_LIST = "checkbox_list", "Checkbox list"
    SCALE = "scale", "Scale"
    SIGNATURE = "signature", "Signature"
    INITIALS = "initials", "Initials"
    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement paragraph"
    FILE = "file", "File or photo upload"
    NOTE = "note", "Information (no answer)"


# Types whose answer is a list of the field's options.
LIST_TYPES = frozenset({FieldType.MULTI_CHOICE, FieldType.CHECKBOX_LIST})
# Types that take no typed answer in `answers` (signatures are recorded beside the answers).
NO_ANSWER = frozenset({FieldType.NOTE, FieldType.SIGNATURE})


class ConditionOp(models.TextChoices):
    EQUALS = "equals", "is"
    NOT_EQUALS = "not_equals", "is not"
    IN = "in", "is one of"
    CONTAINS = "contains", "includes"
    ANSWERED = "answered", "is answered"
    GT = "gt", "is more than"
    LT = "lt", "is less than"


class PhotoPermission(models.TextChoices):
    """Each use of a patient's photos is a separate permission of a photo release."""

    MARKETING = "marketing", "Marketing materials"
    SOCIAL_MEDIA = "social_media", "Social media"
    GALLERY = "gallery", "Before/after gallery"
    CASE_STUDY = "case_study", "Case studies and education"
    CLINICAL = "clinical", "Clinical photography for my record"


class ProfileTarget(models.TextChoices):
    """Patient profile fields an intake answer may offer to update (staff confirms)."""

    ALLERGIES = "allergies", "Allergies"
    MEDICATIONS = "medications", "Medications"
    SKIN_TYPE = "skin_type", "Fitzpatrick skin type"


class FormStatus(models.TextChoices):
    """A required form's standing for one appointment."""

    COMPLETE = "complete", "Complete"
    MISSING = "missing", "Missing"
    EXPIRED = "expired", "Expired"
    OUTDATED = "outdated", "Re-sign needed"
    REVOKED = "revoked", "Revoked"


class SubmissionVia(models.TextChoices):
    LINK = "link", "Patient link"
    KIOSK = "kiosk", "In-clinic tablet"
    STAFF = "staff", "Entered by staff"


class SignatureMethod(models.TextChoices):
    DRAWN = "drawn", "Drawn"
    TYPED = "typed", "Typed name"


class ProfileReview(models.TextChoices):
    NONE = "", "Nothing to review"
    PENDING = "pending", "Waiting for staff"
    APPLIED = "applied", "Applied to the profile"
    DISMISSED = "dismissed", "Dismissed"
