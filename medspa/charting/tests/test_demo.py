"""The demo charts and photos: every chart state in each demo clinic, written through the
services (signatures verify), photos with thumbnails on the charts, the MD queue filled,
nothing pointing at another clinic, and a second run adds nothing."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command

from medspa.accounts.models import Membership
from medspa.catalog.models import Service
from medspa.charting import demo
from medspa.charting.choices import ChartStatus, ReviewNoteKind, SignatureKind
from medspa.charting.models import (
    Chart,
    ChartAmendment,
    ChartReviewNote,
    ChartSignature,
    ClinicChartSettings,
    ServiceChartSettings,
)
from medspa.charting.selectors import chart_checklist, my_drafts, review_queue_count
from medspa.charting.signing import verify_charts
from medspa.core.actors import Actor
from medspa.core.models import Clinic, StoredFile
from medspa.core.permissions import Role
from medspa.photos.choices import THUMBNAIL_PX
from medspa.photos.models import ClinicalPhoto, PhotoAnnotation
from medspa.scheduling.choices import AppointmentStatus

pytestmark = pytest.mark.django_db

S = ChartStatus


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    settings.FILE_DECODE_IN_WORKER = False  # the photos' own tests cover the worker; keep this quick
    call_command("demo")
    return {c.slug: c for c in Clinic.objects.all()}


def staff(clinic, role) -> Actor:
    membership = Membership.objects.select_related("user").get(clinic=clinic, role=role)
    return Actor.staff(user=membership.user, clinic=clinic, role=role)


def counts(clinic) -> tuple:
    return tuple(
        model.objects.filter(clinic=clinic).count()
        for model in (
            Chart,
            ChartSignature,
            ChartAmendment,
            ChartReviewNote,
            ClinicalPhoto,
            PhotoAnnotation,
            ServiceChartSettings,
            ClinicChartSettings,
        )
    )


def check_every_state(clinic) -> None:
    charts = Chart.objects.filter(clinic=clinic)
    states = Counter(charts.values_list("status", flat=True))
    assert states[S.DRAFT] >= 2 and states[S.NEEDS_SIGNOFF] >= 2
    assert states[S.MD_SIGNED] >= 1 and states[S.LOCKED] >= 2
    assert ChartAmendment.objects.filter(clinic=clinic, chart__status=S.LOCKED).exists()
    assert ChartSignature.objects.filter(clinic=clinic, kind=SignatureKind.AMENDMENT).exists()
    # MD review where the service asks for it; every closed chart was signed by its provider.
    for chart in charts.exclude(status=S.DRAFT):
        assert chart.provider_signature_id is not None
        assert (chart.status == S.LOCKED and chart.md_signature_id is None) == (not chart.requires_md_review)
    assert all(c.md_signature_id for c in charts.filter(status=S.MD_SIGNED))
    # Charted visits are the provider's own past or current ones.
    provider = staff(clinic, Role.PROVIDER).user
    assert set(charts.values_list("provider_id", flat=True)) == {provider.pk}
    done = {AppointmentStatus.COMPLETED, AppointmentStatus.ARRIVED, AppointmentStatus.IN_PROGRESS}
    assert {c.appointment.status for c in charts.select_related("appointment")} <= done


def check_review_flow(clinic) -> None:
    md = staff(clinic, Role.MEDICAL_DIRECTOR)
    assert review_queue_count(actor=md) >= 2
    assert ClinicChartSettings.objects.get(clinic=clinic).medical_director_id == md.user.pk
    notes = ChartReviewNote.objects.filter(clinic=clinic)
    returned = notes.get(kind=ReviewNoteKind.RETURNED)
    assert returned.chart.status == S.DRAFT and returned.author_id == md.user.pk
    asked = notes.filter(kind=ReviewNoteKind.INFO_REQUESTED)
    assert asked.exists() and all(n.chart.status == S.NEEDS_SIGNOFF for n in asked)
    assert Chart.objects.filter(clinic=clinic, status=S.NEEDS_SIGNOFF, info_requested=True).exists()
    provider = staff(clinic, Role.PROVIDER)
    assert len(my_drafts(actor=provider)) >= 2
    # The signed charts' checklists were complete, or the provider gave a reason.
    for signature in ChartSignature.objects.filter(clinic=clinic, kind=SignatureKind.PROVIDER):
        assert not signature.missing or signature.override_reason


def check_service_settings(clinic) -> None:
    by_name = {
        s.service.name: s
        for s in ServiceChartSettings.objects.filter(clinic=clinic).select_related("service", "template")
    }
    botox = by_name["Neurotoxin (Botox)"]
    assert (botox.template.key, botox.requires_md_review, botox.min_before_photos) == ("neurotoxin", True, 3)
    assert by_name["Dermal filler – lips"].template.key == "dermal-filler"
    assert by_name["Dermal filler – lips"].requires_md_review
    assert (by_name["IPL photofacial"].template.key, by_name["IPL photofacial"].requires_md_review) == (
        "laser-ipl",
        False,
    )
    assert by_name["Chemical peel"].template.key == "chemical-peel"
    assert by_name["Microneedling"].template.key == "microneedling"
    assert by_name["HydraFacial-style facial"].template.key == "facial"
    assert by_name["Consultation"].template.key == "consultation"
    assert all(s.aftercare for s in by_name.values())
    assert len(by_name) == Service.objects.filter(clinic=clinic).count()


def check_photos(clinic) -> None:
    photos = ClinicalPhoto.objects.filter(clinic=clinic).select_related("file", "thumbnail", "chart")
    assert 12 <= photos.count() <= 30
    assert all(p.chart_id and p.appointment_id == p.chart.appointment_id for p in photos)
    for photo in photos:
        assert photo.file.kind == "clinical_photo" and photo.file.width == 900 and photo.file.height == 1200
        assert photo.thumbnail.kind == "clinical_photo_thumb"
        assert max(photo.thumbnail.width, photo.thumbnail.height) <= THUMBNAIL_PX
    assert {p.phase for p in photos} >= {"before", "after"}
    assert {p.angle for p in photos} >= {"front", "left_oblique", "right_oblique"}
    assert PhotoAnnotation.objects.filter(clinic=clinic).exists()
    # Signed charts froze their photos (by file hash) into the signed content.
    for chart in Chart.objects.filter(clinic=clinic).exclude(status=S.DRAFT):
        frozen = {p["id"] for p in chart.content.get("photos", [])}
        assert frozen == {str(p.pk) for p in photos if p.chart_id == chart.pk}
    # Neurotoxin charts have their three before photos, or say why not.
    for chart in Chart.objects.filter(clinic=clinic, status=S.NEEDS_SIGNOFF):
        items = {i.key: i for i in chart_checklist(actor=staff(clinic, Role.PROVIDER), chart=chart)}
        if "before_photos" in items and not items["before_photos"].ok:
            assert chart.provider_signature.override_reason
    # One photo was taken, deliberately, of a patient without photo consent on file.
    unconsented = photos.filter(patient__clinical_photo_consent=False)
    assert unconsented.count() == 1 and unconsented.get().note


def check_no_other_clinic(clinic) -> None:
    mine = clinic.pk
    for chart in Chart.objects.filter(clinic=clinic).select_related(
        "patient", "appointment", "service", "template_version", "provider_signature", "md_signature"
    ):
        assert {chart.patient.clinic_id, chart.appointment.clinic_id, chart.service.clinic_id} == {mine}
        assert chart.template_version.clinic_id == mine
        assert chart.provider_signature is None or chart.provider_signature.clinic_id == mine
        assert chart.md_signature is None or chart.md_signature.clinic_id == mine
        assert Membership.objects.filter(clinic=clinic, user_id=chart.provider_id).exists()
    for photo in ClinicalPhoto.objects.filter(clinic=clinic).select_related("patient", "chart", "appointment"):
        assert {photo.patient.clinic_id, photo.chart.clinic_id, photo.appointment.clinic_id} == {mine}
        files = StoredFile.all_objects.filter(pk__in=[photo.file_id, photo.thumbnail_id])
        assert set(files.values_list("clinic_id", flat=True)) == {mine}
    for model, path in (
        (ChartSignature, "chart__clinic_id"),
        (ChartAmendment, "chart__clinic_id"),
        (ChartReviewNote, "chart__clinic_id"),
        (PhotoAnnotation, "photo__clinic_id"),
        (ServiceChartSettings, "service__clinic_id"),
    ):
        assert set(model.objects.filter(clinic=clinic).values_list(path, flat=True)) <= {mine}
    assert set(ServiceChartSettings.objects.filter(clinic=clinic).values_list("template__clinic_id", flat=True)) <= {
        mine
    }


def test_demo_charts_and_photos(seeded):
    """One seeding (it takes a while), every property checked on it."""
    assert set(seeded) == {"glow", "radiance"}
    for clinic in seeded.values():
        check_every_state(clinic)
        check_review_flow(clinic)
        check_service_settings(clinic)
        check_photos(clinic)
        check_no_other_clinic(clinic)
    checked, mismatches = verify_charts()
    assert checked >= 2 * 7 and mismatches == []

    before = {slug: counts(c) for slug, c in seeded.items()}
    demo.seed({"clinics": list(seeded.values())})
    assert {slug: counts(c) for slug, c in seeded.items()} == before
