"""Forms for the patient pages: parse what staff type; the services validate and write."""

from __future__ import annotations

import copy
import json

from django import forms

from medspa.core.pagination import MAX_OFFSET
from medspa.patients.choices import (
    AllergySeverity,
    CommunicationKind,
    Direction,
    PatientStatus,
    RelationshipKind,
    SexAtBirth,
    SkinType,
)
from medspa.patients.normalize import national

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CONTACT_FIELDS = (
    "email",
    "phone",
    "alternate_phone",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
)
PHONE_FIELDS = ("phone", "alternate_phone", "emergency_contact_phone")
CLINICAL_FORM_FIELDS = (
    "medications",
    "medical_history",
    "clinical_notes",
    "skin_type",
    "aesthetic_concerns",
    "preferred_treatment_areas",
)
LINES_HELP = "One per line."


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class LinesField(forms.CharField):
    """A textarea whose value is a list of its non-empty lines."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", LINES_HELP)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        return _lines(super().to_python(value))


class AllergiesField(forms.CharField):
    """One allergy per line: "substance; reaction; severity" (reaction and severity optional)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            "One per line: substance; reaction; severity (mild, moderate, severe). E.g. Lidocaine; hives; severe",
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join("; ".join(part for part in (a["substance"], a["reaction"], a["severity"])) for a in value)
        return value

    def to_python(self, value):
        allergies = []
        for line in _lines(super().to_python(value)):
            parts = [p.strip() for p in line.split(";")]
            severity = (parts[2] if len(parts) > 2 else "").lower() or AllergySeverity.UNKNOWN
            if severity not in AllergySeverity.values:
                raise forms.ValidationError(f"Unknown severity “{parts[2]}”: use mild, moderate, severe or unknown.")
            allergies.append(
                {"substance": parts[0], "reaction": parts[1] if len(parts) > 1 else "", "severity": severity}
            )
        return allergies


class PatientForm(forms.Form):
    """The whole profile. Clinical fields are only added for actors who may see them."""

    first_name = forms.CharField(max_length=80, label="First name")
    last_name = forms.CharField(max_length=80, label="Last name")
    preferred_name = forms.CharField(max_length=80, required=False, label="Preferred name")
    pronouns = forms.CharField(max_length=40, required=False)
    date_of_birth = forms.DateField(required=False, label="Date of birth", widget=DATE_INPUT)
    sex_at_birth = forms.ChoiceField(
        choices=[("", "—"), *SexAtBirth.choices], required=False, label="Sex assigned at birth"
    )
    email = forms.CharField(max_length=254, required=False, widget=forms.EmailInput)
    phone = forms.CharField(
        max_length=32, required=False, label="Mobile phone", widget=forms.TextInput({"type": "tel"})
    )
    alternate_phone = forms.CharField(
        max_length=32, required=False, label="Alternate phone", widget=forms.TextInput({"type": "tel"})
    )
    address_line1 = forms.CharField(max_length=200, required=False, label="Address")
    address_line2 = forms.CharField(max_length=200, required=False, label="Address (line 2)")
    city = forms.CharField(max_length=100, required=False)
    region = forms.CharField(max_length=100, required=False, label="State / region")
    postal_code = forms.CharField(max_length=20, required=False, label="Postal code")
    emergency_contact_name = forms.CharField(max_length=160, required=False, label="Emergency contact")
    emergency_contact_phone = forms.CharField(
        max_length=32, required=False, label="Emergency contact phone", widget=forms.TextInput({"type": "tel"})
    )
    emergency_contact_relationship = forms.CharField(max_length=60, required=False, label="Relationship")
    status = forms.ChoiceField(choices=PatientStatus.choices, initial=PatientStatus.ACTIVE)
    referral_source = forms.CharField(max_length=120, required=False, label="Referral source")
    tags = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    medical_alerts = LinesField(
        label="Medical alerts", help_text="Shown to everyone who sees the patient. One per line."
    )
    allergies = AllergiesField()
    notes = forms.CharField(required=False, max_length=10000, label="Notes", widget=forms.Textarea({"rows": 3}))
    email_reminders = forms.BooleanField(required=False, label="Appointment reminders by email")
    sms_reminders = forms.BooleanField(required=False, label="Appointment reminders by text")
    marketing_emails = forms.BooleanField(required=False, label="Marketing emails")
    marketing_sms = forms.BooleanField(required=False, label="Marketing texts")
    photo_marketing_consent = forms.BooleanField(required=False, label="Photos may be used in marketing")
    clinical_photo_consent = forms.BooleanField(required=False, label="Consents to clinical photos")
    # Clinical (removed in __init__ unless the actor may see clinical fields).
    medications = LinesField()
    medical_history = forms.CharField(
        required=False, max_length=10000, label="Medical history", widget=forms.Textarea({"rows": 3})
    )
    clinical_notes = forms.CharField(
        required=False, max_length=10000, label="Clinical notes", widget=forms.Textarea({"rows": 3})
    )
    skin_type = forms.ChoiceField(
        choices=[("", "—"), *SkinType.choices], required=False, label="Skin type (Fitzpatrick)"
    )
    aesthetic_concerns = LinesField(label="Aesthetic concerns")
    preferred_treatment_areas = LinesField(label="Preferred treatment areas")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, tags=(), clinical: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].choices = [(str(t.pk), t.name) for t in tags]
        if not clinical:
            for name in CLINICAL_FORM_FIELDS:
                del self.fields[name]
        if not self.is_bound and "email_reminders" not in self.initial:
            self.initial.update(email_reminders=True, sms_reminders=True)

    @property
    def has_clinical(self) -> bool:
        return "clinical_notes" in self.fields

    def clinical_fields(self):
        return [self[name] for name in CLINICAL_FORM_FIELDS if name in self.fields]

    def service_data(self) -> dict:
        """What the service takes: every shown field except the version."""
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}

    @classmethod
    def initial_for(cls, patient) -> dict:
        """The form's initial values from a profile (phones in the national format)."""
        names = [n for n in cls.base_fields if n not in ("tags", "allergies", "version")]
        initial = {name: getattr(patient, name) for name in names}
        for name in PHONE_FIELDS:
            initial[name] = national(initial[name])
        initial["tags"] = [str(t.pk) for t in patient.tags.all()]
        initial["allergies"] = [
            {"substance": a.substance, "reaction": a.reaction, "severity": a.severity} for a in patient.allergies.all()
        ]
        initial["version"] = patient.version
        return initial


class ContactForm(forms.Form):
    """The quick edit on the Overview tab: contact details only, with the version seen."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        contact = {name: copy.deepcopy(PatientForm.base_fields[name]) for name in CONTACT_FIELDS}
        self.fields = {**contact, **self.fields}

    version = forms.IntegerField(widget=forms.HiddenInput)

    @classmethod
    def initial_for(cls, patient) -> dict:
        initial = {name: getattr(patient, name) for name in CONTACT_FIELDS}
        initial["phone"] = national(patient.phone)
        initial["alternate_phone"] = national(patient.alternate_phone)
        initial["version"] = patient.version
        return initial

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in CONTACT_FIELDS}


class PatientFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search patients")
    status = forms.ChoiceField(choices=[("", "Any status"), *PatientStatus.choices], required=False)
    tag = forms.ChoiceField(required=False, label="Tag")
    created_from = forms.DateField(required=False, label="Added from", widget=DATE_INPUT)
    created_to = forms.DateField(required=False, label="Added to", widget=DATE_INPUT)
    offset = forms.IntegerField(required=False, min_value=0, max_value=MAX_OFFSET, widget=forms.HiddenInput)

    def __init__(self, *args, tags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", "Any tag"), *((str(t.pk), t.name) for t in tags)]
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": "Name, phone, email or date of birth", "autocomplete": "off"}
        )


class CommunicationForm(forms.Form):
    kind = forms.ChoiceField(choices=CommunicationKind.choices, initial=CommunicationKind.CALL)
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.OUTBOUND)
    body = forms.CharField(max_length=5000, label="What happened", widget=forms.Textarea({"rows": 3}))


class RelationshipForm(forms.Form):
    """Link another profile: `related_id` comes from the radio list of search results."""

    related_id = forms.UUIDField(label="Family member", error_messages={"required": "Search and pick a profile."})
    kind = forms.ChoiceField(choices=RelationshipKind.choices, label="Relationship to this patient")


class TagForm(forms.Form):
    name = forms.CharField(max_length=40, label="Name")
    color = forms.CharField(
        max_length=7, initial="#a855f7", label="Colour", widget=forms.TextInput(attrs={"type": "color"})
    )


IMPORT_MAX_BYTES = 20 * 1024 * 1024


class ImportForm(forms.Form):
    """A CSV upload for the patient import; `digest` is the sha256 of the file that was checked."""

    file = forms.FileField(label="CSV file", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))
    mapping = forms.CharField(
        required=False,
        label="Column mapping (optional)",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": '{"Client Mobile #": "phone"}'}),
        help_text='JSON naming our field for any header we do not recognise, e.g. {"Client Mobile #": "phone"}.',
    )
    digest = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB. Split it into smaller files.")
        return upload

    def clean_mapping(self) -> dict[str, str]:
        text = self.cleaned_data["mapping"].strip()
        if not text:
            return {}
        try:
            mapping = json.loads(text)
        except ValueError:
            raise forms.ValidationError('Not valid JSON. Use {"Their header": "our_field"}.') from None
        valid = isinstance(mapping, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items())
        if not valid:
            raise forms.ValidationError('Use an object of header → field names, e.g. {"Mobile #": "phone"}.')
        return mapping
