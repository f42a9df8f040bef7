"""The demo forms: the library published and required in every demo clinic, a signed record
that verifies, upcoming visits with and without their forms, and a second run adds nothing."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command

from medspa.consents import demo, services
from medspa.consents.library import LIBRARY
from medspa.consents.models import Form, FormRequirement, FormSubmission
from medspa.consents.selectors import standings
from medspa.core.models import Clinic
from medspa.scheduling.models import Appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    settings.FILE_DECODE_IN_WORKER = False
    call_command("demo")
    return list(Clinic.objects.all())


def test_every_clinic_has_the_library_published_and_required(seeded):
    for clinic in seeded:
        forms = {f.key: f for f in Form.objects.filter(clinic=clinic)}
        assert set(forms) == set(LIBRARY)
        assert all(f.current_version == 1 and f.active for f in forms.values())
        required = set(FormRequirement.objects.filter(clinic=clinic).values_list("form__key", flat=True))
        assert {"medical-history", "photo-release", "financial-policy", "neurotoxin-consent"} <= required


def test_the_record_verifies_and_leaves_work_for_the_dashboard(seeded):
    checked, problems = services.consents_verify()
    assert checked == FormSubmission.objects.count() > 50 and problems == []
    for clinic in seeded:
        rows = list(
            Appointment.objects.filter(clinic=clinic, status__in=["scheduled", "confirmed"]).values(
                "id", "patient_id", "service_id", "provider_id", "start_at"
            )
        )
        summary = Counter(s.summary for s in standings(clinic_id=clinic.pk, appointments=rows).values())
        assert summary["complete"] > 0 and summary["missing"] > 0


def test_a_second_run_adds_nothing(seeded):
    before = FormSubmission.objects.count(), FormRequirement.objects.count()
    for clinic in seeded:
        demo.seed_clinic(clinic)
    assert (FormSubmission.objects.count(), FormRequirement.objects.count()) == before
