"""Test data for clinical photos: actors, patients with or without photo consent, charts
(built directly: charting's own services are not this app's to call) and uploads."""

from __future__ import annotations

from pathlib import Path

from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from medspa.charting.models import Chart, ChartTemplate, ChartTemplateVersion
from medspa.core.actors import Actor
from medspa.core.models import AuditEvent, StoredFile
from medspa.core.permissions import Role
from medspa.core.tests import images
from medspa.patients import services as patient_services
from medspa.photos import services
from medspa.photos.models import ClinicalPhoto, PhotoAnnotation


def actor_for(clinic, user, role: str = Role.OWNER) -> Actor:
    return Actor.staff(user=user, clinic=clinic, role=role)


def upload(data: bytes | None = None, name: str = "face.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, images.jpeg((120, 90)) if data is None else data, content_type="image/jpeg")


def make_patient(actor: Actor, *, consent: bool = True, first_name: str = "Ada"):
    return patient_services.patient_create(
        actor=actor, data={"first_name": first_name, "last_name": "Photo", "clinical_photo_consent": consent}
    )


def make_chart(actor: Actor, patient, *, appointment_id=None, status: str = "draft") -> Chart:
    template, _ = ChartTemplate.objects.get_or_create(
        clinic=actor.clinic, key="photo-test", defaults={"name": "Photo test"}
    )
    version, _ = ChartTemplateVersion.objects.get_or_create(
        clinic=actor.clinic, template=template, number=1, defaults={"sections": []}
    )
    chart = Chart.objects.create(
        clinic=actor.clinic,
        patient=patient,
        appointment_id=appointment_id,
        provider=actor.user,
        template_version=version,
    )
    if status != "draft":
        sign_chart(chart, status)
    return chart


def sign_chart(chart: Chart, status: str = "needs_signoff") -> None:
    """Move a chart out of Draft (what charting's signing service does, minus the signature)."""
    Chart.objects.filter(pk=chart.pk).update(status=status)
    chart.refresh_from_db()


def make_photo(actor: Actor, patient, **fields) -> ClinicalPhoto:
    fields.setdefault("upload", upload())
    return services.photo_upload(actor=actor, patient_id=patient.pk, **fields)


def blob_count() -> int:
    root = Path(storages["default"].location)
    return sum(1 for path in root.rglob("*") if path.is_file()) if root.is_dir() else 0


def photo_state() -> tuple:
    """Everything a photo write may change, to assert that a refusal changed nothing."""
    return (
        sorted(
            ClinicalPhoto.all_objects.values_list(
                "pk", "deleted_at", "chart_id", "angle", "phase", "note", "annotation_version"
            )
        ),
        PhotoAnnotation.objects.count(),
        sorted(StoredFile.all_objects.values_list("pk", "deleted_at")),
        AuditEvent.objects.filter(action__startswith="photo.", outcome="success")
        .exclude(action__in=["photo.viewed", "photo.listed"])
        .count(),
        blob_count(),
    )


LINE = {"kind": "line", "color": "red", "points": [[0.1, 0.1], [0.9, 0.9]]}
ARROW = {"kind": "arrow", "color": "blue", "points": [[0.2, 0.8], [0.5, 0.5]], "width": 4}
FREEHAND = {"kind": "freehand", "color": "green", "points": [[0.1, 0.5], [0.2, 0.55], [0.3, 0.5]]}
POINT = {"kind": "point", "color": "yellow", "points": [[0.5, 0.3]], "number": 1}
TEXT = {"kind": "text", "color": "white", "points": [[0.05, 0.05]], "text": "Glabella 20u"}
SHAPES = [LINE, ARROW, FREEHAND, POINT, TEXT]
