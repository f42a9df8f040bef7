"""The consent mark on the calendar feed, the Today list and the appointment card."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from medspa.consents import services
from medspa.consents.tests.fixtures import CONSENT_ANSWERS, TYPED
from medspa.scheduling import selectors as scheduling_selectors

pytestmark = pytest.mark.django_db


def _feed_flags(world, actor):
    start = timezone.now() - timedelta(days=1)
    items = scheduling_selectors.calendar_feed(actor, start=start, end=start + timedelta(days=30))
    return {item["id"]: item["flags"] for item in items}


def test_feed_marks_outstanding_then_complete(forms_world):
    w = forms_world
    flags = _feed_flags(w, w.as_owner)[str(w.appointment_id)]
    assert [(f["key"], f["state"]) for f in flags] == [("consents", "warn")]
    assert "Neurotoxin consent" in flags[0]["label"]
    sent = services.form_send(actor=w.as_owner, form_id=w.consent.pk, patient_id=w.patient.pk)
    services.form_submit_link(token=sent.token, answers=CONSENT_ANSWERS, signatures=TYPED)
    flags = _feed_flags(w, w.as_owner)[str(w.appointment_id)]
    assert [(f["key"], f["state"]) for f in flags] == [("consents", "ok")]


def test_no_mark_without_requirements_or_permission(forms_world):
    from medspa.consents.models import FormRequirement
    from medspa.core.actors import Actor
    from medspa.core.permissions import Role

    w = forms_world
    read_only = Actor.staff(user=w.front_desk, clinic=w.clinic, role=Role.READ_ONLY)
    assert _feed_flags(w, read_only)[str(w.appointment_id)] == []
    FormRequirement.objects.filter(clinic=w.clinic).delete()
    assert _feed_flags(w, w.as_owner)[str(w.appointment_id)] == []


def test_card_and_today_show_the_mark(forms_world, login):
    w = forms_world
    client = login(w.front_desk)
    card = client.get(reverse("scheduling_appointment_detail", args=[w.appointment_id])).content.decode()
    assert 'data-flag="consents" data-state="warn"' in card and "Neurotoxin consent" in card
    from medspa.scheduling.models import Appointment

    now = timezone.now()
    Appointment.objects.filter(pk=w.appointment_id).update(start_at=now, end_at=now + timedelta(hours=1))
    location_id = Appointment.objects.get(pk=w.appointment_id).location_id
    page = client.get(reverse("scheduling_today") + f"?location={location_id}").content.decode()
    assert 'data-flag="consents"' in page
