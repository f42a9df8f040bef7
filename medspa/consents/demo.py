"""Demo forms and consents: the library published in every clinic, required where it belongs
(medical history, photo release and the financial policy for every visit; treatment consents
and screenings on the services they are for), and a realistic record — most patients signed
on paper or online over the past year, some consents about to lapse or lapsed, some upcoming
visits still missing theirs (the consents dashboard has work to show)."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from medspa.catalog import selectors as catalog_selectors
from medspa.consents import services
from medspa.consents.choices import FieldType
from medspa.consents.definition import all_fields
from medspa.consents.library import LIBRARY
from medspa.consents.models import Form, FormRequirement, FormSubmission
from medspa.consents.selectors import current_version, standings
from medspa.core.actors import Actor
from medspa.scheduling.choices import AppointmentStatus
from medspa.scheduling.models import Appointment

# Photo permissions whose answer the profile's flags already record (a release gives them).
FLAGS = {"clinical": "clinical_photo_consent", "marketing": "photo_marketing_consent"}
MEDICATIONS = ["Spironolactone 50 mg", "Levothyroxine 75 mcg", "Vitamin D 2000 IU", "Oral contraceptive"]
ALLERGIES = ["Penicillin", "Latex", "Sulfa drugs"]


def seed(context: dict) -> None:
    for clinic in context["clinics"]:
        seed_clinic(clinic)


def seed_clinic(clinic) -> dict:
    """Library forms and their requirements, then the record of signed forms (once)."""
    system = Actor.system(clinic=clinic, label="demo")
    services.form_library_install(clinic=clinic, actor=system)
    if not FormRequirement.objects.filter(clinic=clinic).exists():
        _require(system)
    if FormSubmission.objects.filter(clinic=clinic).exists():
        return {"submissions": 0}
    return {"submissions": _Signer(clinic, system).run()}


def _require(system: Actor) -> None:
    menu = list(catalog_selectors.services_for(actor=system, include_inactive=False))
    for form in Form.objects.filter(clinic=system.clinic, from_library=True):
        wanted = LIBRARY[form.key]["services"]
        if wanted == "*":
            rules = [{}]
        else:
            rules = [{"service_id": str(s.pk)} for s in menu if any(word in s.name.lower() for word in wanted)]
        if rules:
            services.requirements_set(actor=system, form_id=form.pk, rules=rules)


def demo_answers(definition: dict, patient, rng: random.Random) -> dict:
    """Plausible answers to every question a patient would be shown: mostly "no" to health
    questions, a medication or allergy now and then, clinical and marketing photo permissions
    as the profile records them, the other photo uses at random."""
    answers: dict = {}
    for field in all_fields(definition):
        key, kind, options = field["key"], field["type"], field["options"]
        if kind == FieldType.YES_NO:
            if field.get("permission") in FLAGS:  # the consent the profile already records
                answers[key] = "yes" if getattr(patient, FLAGS[field["permission"]]) else "no"
            elif field.get("permission"):
                answers[key] = rng.choice(["yes", "yes", "no"])
            elif key in ("takes_medications", "has_allergies"):
                answers[key] = "yes" if rng.random() < 0.3 else "no"
            else:
                answers[key] = "no"
        elif key == "takes_medications_detail":
            answers[key] = rng.choice(MEDICATIONS)
        elif key == "has_allergies_detail":
            answers[key] = rng.choice(ALLERGIES)
        elif key == "printed_name":
            answers[key] = f"{patient.first_name} {patient.last_name}"
        elif kind == FieldType.INITIALS:
            answers[key] = f"{patient.first_name[:1]}{patient.last_name[:1]}".upper()
        elif kind == FieldType.ACKNOWLEDGEMENT:
            answers[key] = True
        elif kind == FieldType.DATE:
            answers[key] = (patient.date_of_birth or timezone.localdate() - timedelta(days=365 * 34)).isoformat()
        elif kind == FieldType.SINGLE_CHOICE:
            answers[key] = rng.choice(options)
        elif kind in (FieldType.CHECKBOX_LIST, FieldType.MULTI_CHOICE):
            none = [o for o in options if o.startswith("None")]
            answers[key] = none or [rng.choice(options)]
        elif kind == FieldType.SCALE:
            answers[key] = rng.randint(max(field["min"], field["max"] - 3), field["max"])
    return answers


class _Signer:
    """Signs the forms of one clinic's patients as they would have over the past year."""

    def __init__(self, clinic, system: Actor) -> None:
        self.clinic, self.system = clinic, system
        self.rng = random.Random(f"consents-demo-{clinic.slug}")  # noqa: S311 - demo data, not secrets
        self.now = timezone.now()
        self.forms = {f.pk: f for f in Form.objects.filter(clinic=clinic)}
        self.versions = {pk: current_version(f) for pk, f in self.forms.items()}

    def run(self) -> int:
        rows = list(
            Appointment.objects.filter(
                clinic=self.clinic,
                status__in=[AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED, AppointmentStatus.ARRIVED],
                start_at__gte=self.now - timedelta(days=1),
                start_at__lte=self.now + timedelta(days=21),
            )
            .select_related("patient")
            .order_by("start_at", "pk")
        )
        needed: dict = {}
        patients = {}
        found = standings(
            clinic_id=self.clinic.pk,
            appointments=[
                {
                    "id": a.pk,
                    "patient_id": a.patient_id,
                    "service_id": a.service_id,
                    "provider_id": a.provider_id,
                    "start_at": a.start_at,
                }
                for a in rows
            ],
        )
        for appointment in rows:
            patients[appointment.patient_id] = appointment.patient
            for required in found[appointment.pk].outstanding:
                needed.setdefault(appointment.patient_id, {})[required.form_id] = appointment
        written = 0
        for patient_id, forms in needed.items():
            roll = self.rng.random()
            if roll < 0.15:
                continue  # a new patient who has not filled anything in yet
            for form_id, appointment in forms.items():
                if roll < 0.3 and self.rng.random() < 0.5:
                    continue  # some of their forms still missing
                written += self._sign(patients[patient_id], self.forms[form_id], appointment)
        return written

    def _sign(self, patient, form: Form, appointment) -> int:
        validity = form.valid_days or 730
        age = self.rng.choice([3, 20, 60, 150, 280, min(validity - 10, 700)])
        signed_at = self.now - timedelta(days=min(age, validity - 2, 700), hours=self.rng.randrange(1, 9))
        version = self.versions[form.pk]
        services.form_submit_staff(
            actor=self.system,
            form_id=form.pk,
            patient_id=patient.pk,
            appointment_id=appointment.pk if age <= 3 else None,
            answers=demo_answers(version.definition, patient, self.rng),
            signatures={
                f["key"]: {"method": "typed", "name": f"{patient.first_name} {patient.last_name}"}
                for f in all_fields(version.definition)
                if f["type"] == FieldType.SIGNATURE
            },
            signed_at=signed_at,
        )
        return 1
