"""The demo patients: counts, families, near-duplicates, and that search finds them."""

import pytest
from django.core.management import call_command

from medspa.core.actors import Actor
from medspa.core.models import Clinic
from medspa.patients.choices import RelationshipKind
from medspa.patients.demo import PATIENTS_PER_CLINIC
from medspa.patients.models import Allergy, Communication, Patient, PatientTag, Relationship, Tag
from medspa.patients.normalize import national_digits
from medspa.patients.selectors import patient_duplicates, patient_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("demo")
    return {c.slug: c for c in Clinic.objects.all()}


def test_counts_per_clinic(demo):
    for clinic in demo.values():
        patients = Patient.objects.filter(clinic=clinic)
        assert patients.count() == PATIENTS_PER_CLINIC
        assert set(Tag.objects.filter(clinic=clinic).values_list("name", flat=True)) == {
            "VIP",
            "Botox regular",
            "Filler",
            "Laser",
            "New patient",
            "Membership",
        }
        assert PatientTag.objects.filter(clinic=clinic).count() > 50
        with_safety = patients.exclude(medical_alerts=[]).count() + Allergy.objects.filter(clinic=clinic).count()
        assert 0.1 * PATIENTS_PER_CLINIC <= with_safety <= 0.5 * PATIENTS_PER_CLINIC
        assert Communication.objects.filter(clinic=clinic).count() >= 30
        assert patients.exclude(preferred_name="").exists()
        assert patients.exclude(pronouns="").exists()
        assert all(p.startswith("+1") and "55501" in p for p in patients.values_list("phone", flat=True))
        ages = [p.age for p in patients]
        assert min(ages) >= 18 and max(ages) <= 75


def test_family_links_go_both_ways(demo):
    clinic = demo["glow"]
    link = Relationship.objects.filter(clinic=clinic, kind=RelationshipKind.PARENT).first()
    assert link is not None
    assert Relationship.objects.filter(
        clinic=clinic, patient=link.related, related=link.patient, kind=RelationshipKind.CHILD
    ).exists()
    assert Relationship.objects.filter(clinic=clinic, kind=RelationshipKind.SPOUSE).count() % 2 == 0


def test_search_finds_demo_patients(demo):
    clinic = demo["glow"]
    actor = Actor.system(clinic=clinic)
    jose = Patient.objects.get(clinic=clinic, first_name="José", last_name="García")

    page, _ = patient_search(actor=actor, q="jose garcia", limit=20)
    assert jose in page
    page, _ = patient_search(actor=actor, q="zoe mul", limit=20)
    assert {p.first_name for p in page} >= {"Zoë"}

    number = national_digits(jose.phone)  # e.g. 2125550133
    page, _ = patient_search(actor=actor, q=f"({number[:3]}) {number[3:6]}-{number[6:8]}", limit=100)
    assert jose in page
    page, _ = patient_search(actor=actor, q=number[-4:], limit=100)
    assert jose in page


def test_near_duplicates_are_detected(demo):
    actor = Actor.system(clinic=demo["radiance"])
    zoe = Patient.objects.get(clinic=demo["radiance"], first_name="Zoë", last_name="Müller")
    found = patient_duplicates(
        actor=actor, first_name="Zoe", last_name="Muller", date_of_birth=zoe.date_of_birth, exclude_id=zoe.pk
    )
    assert [p.first_name for p, _ in found] == ["Zoe"]
    jen = Patient.objects.get(clinic=demo["radiance"], first_name="Jennifer", last_name="Smith")
    found = patient_duplicates(actor=actor, phone=jen.phone, exclude_id=jen.pk)
    assert [(p.first_name, why) for p, why in found] == [("Jenny", "same phone")]


def test_second_run_adds_nothing(demo):
    clinic = demo["glow"]
    before = list(Patient.objects.filter(clinic=clinic).order_by("phone", "id").values_list("last_name", "phone"))
    call_command("demo")
    after = list(Patient.objects.filter(clinic=clinic).order_by("phone", "id").values_list("last_name", "phone"))
    assert before == after
    assert Patient.objects.filter(clinic=clinic).count() == PATIENTS_PER_CLINIC
