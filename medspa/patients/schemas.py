"""API shapes for patients. Responses are built as plain dicts so fields a role may not see
are absent (not null); these schemas document them and validate requests."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

Short = Field(default=None, max_length=80)


class AllergyIn(Schema):
    model_config = ConfigDict(extra="forbid")
    substance: str = Field(max_length=120)
    reaction: str = Field(default="", max_length=200)
    severity: Literal["mild", "moderate", "severe", "unknown"] = "unknown"


class PatientFields(Schema):
    model_config = ConfigDict(extra="forbid")
    preferred_name: str | None = Short
    pronouns: str | None = Field(default=None, max_length=40)
    date_of_birth: date | None = None
    sex_at_birth: Literal["", "female", "male", "intersex", "undisclosed"] | None = None
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    alternate_phone: str | None = Field(default=None, max_length=32)
    address_line1: str | None = Field(default=None, max_length=200)
    address_line2: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, min_length=2, max_length=2)
    emergency_contact_name: str | None = Field(default=None, max_length=160)
    emergency_contact_phone: str | None = Field(default=None, max_length=32)
    emergency_contact_relationship: str | None = Field(default=None, max_length=60)
    status: Literal["active", "inactive", "discharged", "deceased"] | None = None
    profile_type: Literal["patient", "contact"] | None = None
    referral_source: str | None = Field(default=None, max_length=120)
    primary_contact_id: UUID | None = None
    medical_alerts: list[str] | None = Field(default=None, max_length=50)
    allergies: list[AllergyIn] | None = Field(default=None, max_length=50)
    tags: list[UUID] | None = Field(default=None, max_length=50)
    notes: str | None = Field(default=None, max_length=10000)
    email_reminders: bool | None = None
    sms_reminders: bool | None = None
    marketing_emails: bool | None = None
    marketing_sms: bool | None = None
    photo_marketing_consent: bool | None = None
    clinical_photo_consent: bool | None = None
    # Clinical (patients.view_clinical)
    medications: list[str] | None = Field(default=None, max_length=50)
    medical_history: str | None = Field(default=None, max_length=10000)
    clinical_notes: str | None = Field(default=None, max_length=10000)
    skin_type: Literal["", "I", "II", "III", "IV", "V", "VI"] | None = None
    aesthetic_concerns: list[str] | None = Field(default=None, max_length=50)
    preferred_treatment_areas: list[str] | None = Field(default=None, max_length=50)


class PatientCreate(PatientFields):
    first_name: str = Field(min_length=1, max_length=80)
    last_name: str = Field(min_length=1, max_length=80)


class PatientReplace(PatientCreate):
    version: int


class PatientPatch(PatientFields):
    first_name: str | None = Short
    last_name: str | None = Short
    version: int


class PatientOut(Schema):
    """A profile. Clinical fields appear only for roles with patients.view_clinical."""

    id: UUID
    version: int
    first_name: str
    last_name: str
    display_name: str
    status: str
    phone: str
    phone_display: str
    email: str
    date_of_birth: date | None
    age: int | None
    tags: list[dict]
    allergies: list[dict]
    medical_alerts: list[str]
    medications: list[str] | None = None
    created_at: datetime
    updated_at: datetime
    possible_duplicates: list[dict] | None = None


class PatientPage(Schema):
    items: list[PatientOut]
    next: str | None


class RelationshipIn(Schema):
    model_config = ConfigDict(extra="forbid")
    related_id: UUID
    kind: Literal["parent", "child", "spouse", "sibling", "other"]


class CommunicationIn(Schema):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["call", "sms", "email", "in_person", "note"]
    direction: Literal["inbound", "outbound", "internal"] = "outbound"
    body: str = Field(min_length=1, max_length=5000)
    occurred_at: datetime | None = None


class MergeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    duplicate_id: UUID
    fields: dict[str, Literal["survivor", "duplicate"]] = Field(default_factory=dict)
