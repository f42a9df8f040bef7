"""Checking what a patient types on the portal: names, a mobile number and/or an email."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from medspa.core.errors import InvalidInput

NAME_MAX, NOTES_MAX = 80, 1000


@dataclass(frozen=True)
class Details:
    first_name: str
    last_name: str
    phone: str  # E.164 or ""
    email: str  # lower-case or ""
    notes: str = ""


def clean_details(data: dict, *, region: str = "US") -> Details:
    """Validate the patient's details; every problem is named in one 422, nothing is kept."""
    errors: dict[str, list[str]] = {}
    first = str(data.get("first_name") or "").strip()
    last = str(data.get("last_name") or "").strip()
    phone_raw = str(data.get("phone") or "").strip()
    email = str(data.get("email") or "").strip().lower()
    notes = str(data.get("notes") or "").strip()
    for name, value in (("first_name", first), ("last_name", last)):
        if not value:
            errors[name] = ["Required."]
        elif len(value) > NAME_MAX or any(ord(ch) < 32 for ch in value):
            errors[name] = [f"Use up to {NAME_MAX} letters."]
    phone = ""
    if phone_raw:
        try:
            number = phonenumbers.parse(phone_raw[:40], region or "US")
            if not phonenumbers.is_valid_number(number):
                raise ValueError
            phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except (phonenumbers.NumberParseException, ValueError):
            errors["phone"] = ["Enter a valid mobile number."]
    if email:
        try:
            if len(email) > 254:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            errors["email"] = ["Enter a valid email address."]
    if not phone_raw and not email:
        errors["phone"] = ["Give a mobile number or an email so we can confirm your booking."]
    if len(notes) > NOTES_MAX:
        errors["notes"] = [f"Up to {NOTES_MAX} characters."]
    if errors:
        raise InvalidInput("Please check your details.", fields=errors)
    return Details(first, last, phone, email, notes)
