"""The photo pages: the profile's Photos tab, the photo page with its editor, annotation
saves, export and delete, compare, capture and the chart's photo block — for a provider,
a medical director (view only), the front desk (none) and another clinic (404)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from medspa.core.permissions import Role
from medspa.core.tests import images
from medspa.photos import services
from medspa.photos.models import ClinicalPhoto, PhotoAnnotation
from medspa.photos.tests.factories import (
    POINT,
    SHAPES,
    actor_for,
    make_chart,
    make_patient,
    make_photo,
    photo_state,
    sign_chart,
    upload,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def provider(clinic, make_member):
    return make_member(clinic, Role.PROVIDER, email="provider@test.example")


@pytest.fixture
def md(clinic, make_member):
    return make_member(clinic, Role.MEDICAL_DIRECTOR, email="md@test.example")


@pytest.fixture
def front_desk(clinic, make_member):
    return make_member(clinic, Role.FRONT_DESK, email="desk@test.example")


@pytest.fixture
def world(clinic, owner):
    """A patient with consent and two photos (front before, left profile after), and a
    patient without consent."""
    actor = actor_for(clinic, owner)
    patient = make_patient(actor)
    front = make_photo(actor, patient, angle="front", phase="before")
    side = make_photo(actor, patient, angle="left_profile", phase="after")
    bare = make_patient(actor, consent=False, first_name="Bea")
    return {"actor": actor, "patient": patient, "front": front, "side": side, "bare": bare}


@pytest.fixture
def elsewhere(other_clinic, make_member):
    boss = make_member(other_clinic, Role.OWNER, email="boss@elsewhere.example")
    actor = actor_for(other_clinic, boss)
    patient = make_patient(actor, first_name="Other")
    photo = make_photo(actor, patient)
    return {"actor": actor, "patient": patient, "photo": photo, "chart": make_chart(actor, patient)}


def tab_url(patient) -> str:
    return reverse("patient_photos", kwargs={"patient_id": patient.pk})


def photo_url(photo, suffix: str = "") -> str:
    return reverse("photos:photo_detail", kwargs={"photo_id": photo.pk}) + suffix


def save_url(photo) -> str:
    return reverse("photos:photo_annotation_save", kwargs={"photo_id": photo.pk})


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json", HTTP_ACCEPT="application/json")


# The Photos tab -----------------------------------------------------------------------------


def test_tab_shows_thumbnails_by_visit_with_badges_and_upload(world, provider, login):
    client = login(provider)
    response = client.get(tab_url(world["patient"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="photos-tab"' in html
    assert html.count("data-photo-tile") == 2
    assert "/files/" in html and "/media/" not in html  # signed URLs only
    assert "Left profile" in html and "After" in html and "Before" in html
    assert 'name="files"' in html and "multiple" in html and 'capture="environment"' in html
    assert 'accept="image/*"' in html
    assert photo_url(world["front"]) in html
    assert "Compare selected" in html
    assert reverse("photos:photo_capture", kwargs={"patient_id": world["patient"].pk}) in html


def test_tab_filters_by_angle_and_phase(world, provider, login):
    client = login(provider)
    html = client.get(tab_url(world["patient"]) + "?angle=left_profile").content.decode()
    assert html.count("data-photo-tile") == 1 and photo_url(world["side"]) in html
    html = client.get(tab_url(world["patient"]) + "?phase=after&angle=front").content.decode()
    assert "No photos match" in html and "data-photo-tile" not in html


def test_tab_empty_state(world, provider, login):
    html = login(provider).get(tab_url(world["bare"])).content.decode()
    assert "No clinical photos yet" in html


def test_tab_for_md_has_no_upload(world, md, login):
    html = login(md).get(tab_url(world["patient"])).content.decode()
    assert html.count("data-photo-tile") == 2
    assert 'name="files"' not in html and "Add photos" not in html


def test_front_desk_gets_no_photos_tab(world, front_desk, login):
    client = login(front_desk)
    profile = client.get(reverse("patient_detail", kwargs={"patient_id": world["patient"].pk})).content.decode()
    assert tab_url(world["patient"]) not in profile  # not in the tab bar
    direct = client.get(tab_url(world["patient"]))
    html = direct.content.decode()
    assert "not available to your role" in html and "/files/" not in html and "data-photo-tile" not in html


# Upload and the consent confirmation --------------------------------------------------------


def test_upload_asks_for_consent_then_uploads_with_confirmation(world, provider, login):
    client = login(provider)
    url = reverse("photos:patient_photo_upload", kwargs={"patient_id": world["bare"].pk})
    before = photo_state()
    files = [upload(name="a.jpg"), upload(name="b.jpg")]
    refused = client.post(url, {"files": files, "angle": "front", "phase": "before"}, **HTMX)
    assert refused.status_code == 409
    assert refused["HX-Retarget"] == "#patient-photo-upload-consent"
    html = refused.content.decode()
    assert "Upload anyway" in html and 'name="confirm_without_consent"' in html and "no photo consent" in html
    assert photo_state() == before

    files = [upload(name="a.jpg"), upload(name="b.jpg")]
    data = {"files": files, "angle": "right_oblique", "phase": "after", "confirm_without_consent": "on"}
    saved = client.post(url, data, **HTMX)
    assert saved.status_code == 200
    assert "2 photos uploaded" in saved["HX-Trigger"]
    photos = ClinicalPhoto.objects.filter(patient=world["bare"])
    assert photos.count() == 2
    assert all(p.consent_override and p.angle == "right_oblique" and p.phase == "after" for p in photos)
    assert saved.content.decode().count("data-photo-tile") == 2


def test_upload_without_htmx_shows_the_consent_step_on_a_page(world, provider, login):
    url = reverse("photos:patient_photo_upload", kwargs={"patient_id": world["bare"].pk})
    response = login(provider).post(url, {"files": [upload()], "angle": "front", "phase": "before"})
    assert response.status_code == 409
    assert "Upload anyway" in response.content.decode() and "<html" in response.content.decode()
    assert not ClinicalPhoto.objects.filter(patient=world["bare"]).exists()


def test_upload_reports_a_bad_file_by_name_and_keeps_the_good_one(world, provider, login):
    url = reverse("photos:patient_photo_upload", kwargs={"patient_id": world["patient"].pk})
    bad = upload(data=b"not an image at all", name="cat.jpg")
    response = login(provider).post(
        url, {"files": [bad, upload(name="ok.jpg")], "angle": "front", "phase": "before"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "cat.jpg" in html and "Some photos were not uploaded" in html
    assert ClinicalPhoto.objects.filter(patient=world["patient"]).count() == 3


def test_upload_without_files_is_refused_inline(world, provider, login):
    url = reverse("photos:patient_photo_upload", kwargs={"patient_id": world["patient"].pk})
    response = login(provider).post(url, {"angle": "front", "phase": "before"}, **HTMX)
    assert response.status_code == 422 and "Choose at least one photo" in response.content.decode()


def test_md_may_not_upload(world, md, login):
    url = reverse("photos:patient_photo_upload", kwargs={"patient_id": world["patient"].pk})
    before = photo_state()
    assert login(md).post(url, {"files": [upload()], "angle": "front", "phase": "before"}).status_code == 403
    assert photo_state() == before


# The photo page -----------------------------------------------------------------------------


def test_photo_page_for_a_provider_has_the_editor(world, provider, login):
    services.annotation_save(actor=world["actor"], photo_id=world["front"].pk, shapes=SHAPES, base_version=0)
    response = login(provider).get(photo_url(world["front"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-photo-editor" in html and 'id="photo-editor-config"' in html
    config = json.loads(html.split('id="photo-editor-config" type="application/json">')[1].split("</script>")[0])
    assert config["version"] == 1 and len(config["shapes"]) == 5 and config["saveUrl"] == save_url(world["front"])
    for tool in ("line", "arrow", "freehand", "point", "text"):
        assert f'data-tool="{tool}"' in html
    assert 'viewBox="0 0 1 1"' in html and 'preserveAspectRatio="none"' in html
    assert ">Glabella 20u</text>" in html  # the saved overlay, drawn on the server too
    assert "Export PNG" in html and reverse("photos:photo_delete", kwargs={"photo_id": world["front"].pk}) in html
    assert "/files/" in html and "Version 1" in html


def test_photo_page_for_the_md_is_view_only(world, md, login):
    services.annotation_save(actor=world["actor"], photo_id=world["front"].pk, shapes=[POINT], base_version=0)
    response = login(md).get(photo_url(world["front"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-photo-editor" not in html and "photo-editor-config" not in html
    assert "Delete" not in html and "Export PNG" not in html and "Correct angle" not in html
    assert 'method="post"' not in html.split('id="main"')[1].split("idle-title")[0]
    assert 'data-kind="point"' in html  # the overlay still shows


def test_front_desk_is_refused_every_photo_page(world, front_desk, login):
    client = login(front_desk)
    photo, patient = world["front"], world["patient"]
    chart = make_chart(world["actor"], patient)
    urls = [
        photo_url(photo),
        reverse("photos:photo_export", kwargs={"photo_id": photo.pk}),
        reverse("photos:photo_compare") + f"?a={photo.pk}",
        reverse("photos:photo_capture", kwargs={"patient_id": patient.pk}),
        reverse("photos:chart_photos", kwargs={"chart_id": chart.pk}),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
    before = photo_state()
    assert post_json(client, save_url(photo), {"shapes": [], "base_version": 0}).status_code == 403
    assert client.post(reverse("photos:photo_delete", kwargs={"photo_id": photo.pk})).status_code == 403
    assert photo_state() == before


def test_another_clinics_photo_looks_missing(world, elsewhere, provider, login):
    client = login(provider)
    theirs = elsewhere["photo"]
    before = photo_state()
    assert client.get(photo_url(theirs)).status_code == 404
    assert client.get(reverse("photos:photo_export", kwargs={"photo_id": theirs.pk})).status_code == 404
    assert post_json(client, save_url(theirs), {"shapes": [POINT], "base_version": 0}).status_code == 404
    assert client.post(reverse("photos:photo_delete", kwargs={"photo_id": theirs.pk})).status_code == 404
    assert client.get(reverse("photos:photo_compare") + f"?a={theirs.pk}").status_code == 404
    assert client.get(reverse("photos:chart_photos", kwargs={"chart_id": elsewhere["chart"].pk})).status_code == 404
    capture = reverse("photos:photo_capture", kwargs={"patient_id": elsewhere["patient"].pk})
    assert client.get(capture).status_code == 404
    assert photo_state() == before


def test_annotation_save_new_version_then_conflict_then_invalid(world, provider, login):
    client = login(provider)
    url = save_url(world["front"])
    first = post_json(client, url, {"shapes": [POINT], "base_version": 0})
    assert first.status_code == 201 and first.json()["version"] == 1
    stale = post_json(client, url, {"shapes": [POINT, POINT], "base_version": 0})
    assert stale.status_code == 409 and stale.json()["code"] == "annotation_conflict"
    bad = post_json(
        client, url, {"shapes": [{"kind": "circle", "color": "red", "points": [[0, 0]]}], "base_version": 1}
    )
    assert bad.status_code == 422 and "shapes.0" in bad.json()["fields"]
    assert client.post(url, "not json", content_type="application/json").status_code == 400
    assert PhotoAnnotation.objects.filter(photo=world["front"]).count() == 1


def test_md_may_not_save_annotations(world, md, login):
    response = post_json(login(md), save_url(world["front"]), {"shapes": [POINT], "base_version": 0})
    assert response.status_code == 403
    assert not PhotoAnnotation.objects.exists()


def test_version_picker_shows_an_earlier_overlay(world, provider, login):
    actor = world["actor"]
    services.annotation_save(actor=actor, photo_id=world["front"].pk, shapes=[POINT], base_version=0)
    services.annotation_save(actor=actor, photo_id=world["front"].pk, shapes=SHAPES, base_version=1)
    client = login(provider)
    latest = client.get(photo_url(world["front"])).content.decode()
    assert "Glabella 20u" in latest and "?version=1" in latest
    earlier = client.get(photo_url(world["front"], "?version=1")).content.decode()
    assert "Glabella 20u" not in earlier and 'data-kind="point"' in earlier
    assert "version 1 of the annotations" in earlier and "photo-editor-config" not in earlier
    assert client.get(photo_url(world["front"], "?version=7")).status_code == 404
    assert client.get(photo_url(world["front"], "?version=x")).status_code == 404


def test_export_png_is_a_download(world, provider, login):
    response = login(provider).get(reverse("photos:photo_export", kwargs={"photo_id": world["front"].pk}))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment") and response.content[:4] == b"\x89PNG"


def test_delete_goes_back_to_the_tab(world, provider, login):
    response = login(provider).post(reverse("photos:photo_delete", kwargs={"photo_id": world["front"].pk}))
    assert response.status_code == 302 and response["Location"] == tab_url(world["patient"])
    assert not ClinicalPhoto.objects.filter(pk=world["front"].pk).exists()
    assert ClinicalPhoto.all_objects.get(pk=world["front"].pk).deleted_at is not None


def test_metadata_can_be_corrected(world, provider, login):
    url = reverse("photos:photo_update", kwargs={"photo_id": world["front"].pk})
    response = login(provider).post(url, {"angle": "right_profile", "phase": "during", "note": "Lighting poor"})
    assert response.status_code == 302
    world["front"].refresh_from_db()
    assert (world["front"].angle, world["front"].phase, world["front"].note) == (
        "right_profile",
        "during",
        "Lighting poor",
    )


# Compare --------------------------------------------------------------------------------------


def test_compare_two_photos_of_one_patient(world, provider, login):
    client = login(provider)
    more = make_photo(world["actor"], world["patient"], angle="front", phase="after")
    url = reverse("photos:photo_compare") + f"?a={world['front'].pk}&b={more.pk}"
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("data-compare-pane") == 2 and "Show annotations" in html and "data-zoom" in html
    # One photo picked: the other same-angle photos are offered for B.
    single = client.get(reverse("photos:photo_compare") + f"?a={world['front'].pk}").content.decode()
    assert f"b={more.pk}" in single and f"b={world['side'].pk}" not in single
    # The tab's checkboxes send `p` twice.
    ticked = client.get(reverse("photos:photo_compare") + f"?p={world['front'].pk}&p={more.pk}")
    assert ticked.status_code == 200 and ticked.content.decode().count("data-compare-pane") == 2


def test_compare_refuses_photos_of_two_patients(world, provider, login):
    other = make_photo(world["actor"], world["bare"], confirm_without_consent=True)
    url = reverse("photos:photo_compare") + f"?a={world['front'].pk}&b={other.pk}"
    assert login(provider).get(url).status_code == 404


def test_compare_without_photos_explains(world, md, login):
    response = login(md).get(reverse("photos:photo_compare"))
    assert response.status_code == 200 and "Choose two photos to compare" in response.content.decode()


# Capture ----------------------------------------------------------------------------------------


def test_capture_page_shows_the_previous_photo_as_a_ghost(world, provider, login):
    client = login(provider)
    url = reverse("photos:photo_capture", kwargs={"patient_id": world["patient"].pk})
    html = client.get(url + "?angle=left_profile").content.decode()
    assert "data-capture-ghost" in html and "/files/" in html and "Ghost opacity" in html
    assert 'capture="environment"' in html and "dist/photos.js" in html
    assert "Right oblique" in html  # the angle switcher
    empty = client.get(url + "?angle=right_oblique").content.decode()
    assert "data-capture-ghost" not in empty and "No earlier right oblique photo" in empty


def test_capture_uploads_to_the_chart_and_answers_json(world, provider, login):
    chart = make_chart(world["actor"], world["patient"])
    url = reverse("photos:photo_capture", kwargs={"patient_id": world["patient"].pk})
    data = {"files": upload(), "angle": "left_oblique", "phase": "before", "chart": str(chart.pk)}
    response = login(provider).post(url, data, HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    saved = ClinicalPhoto.objects.get(pk=response.json()["saved"][0]["id"])
    assert saved.chart_id == chart.pk and saved.angle == "left_oblique"


def test_capture_asks_for_consent(world, provider, login):
    url = reverse("photos:photo_capture", kwargs={"patient_id": world["bare"].pk})
    client = login(provider)
    data = {"files": upload(), "angle": "front", "phase": "before"}
    response = client.post(url, data, HTTP_ACCEPT="application/json")
    assert response.status_code == 409 and response.json()["needs_consent"] is True
    confirmed = client.post(
        url,
        {"files": upload(), "angle": "front", "phase": "before", "confirm_without_consent": "on"},
        HTTP_ACCEPT="application/json",
    )
    assert confirmed.status_code == 201


# The chart's photo block ------------------------------------------------------------------------


def test_chart_partial_lists_its_photos_and_uploads_to_the_chart(world, provider, login):
    chart = make_chart(world["actor"], world["patient"])
    make_photo(world["actor"], world["patient"], chart_id=chart.pk, angle="right_profile")
    client = login(provider)
    url = reverse("photos:chart_photos", kwargs={"chart_id": chart.pk})
    partial = client.get(url, **HTMX)
    html = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in html
    assert f'id="chart-photos-{chart.pk}"' in html and html.count("data-photo-tile") == 1
    assert "Right profile" in html and f"chart={chart.pk}" in html  # capture link with the chart preset
    upload_url = reverse("photos:chart_photo_upload", kwargs={"chart_id": chart.pk})
    assert upload_url in html and f'hx-target="#chart-photos-{chart.pk}"' in html
    saved = client.post(upload_url, {"files": [upload(), upload()], "angle": "front", "phase": "after"}, **HTMX)
    assert saved.status_code == 200 and saved.content.decode().count("data-photo-tile") == 3
    assert ClinicalPhoto.objects.filter(chart=chart).count() == 3
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.content.decode()


def test_signed_chart_block_has_no_upload(world, provider, md, login):
    chart = make_chart(world["actor"], world["patient"])
    make_photo(world["actor"], world["patient"], chart_id=chart.pk)
    sign_chart(chart)
    url = reverse("photos:chart_photos", kwargs={"chart_id": chart.pk})
    html = login(provider).get(url, **HTMX).content.decode()
    assert "signed, no more changes" in html and 'name="files"' not in html
    upload_url = reverse("photos:chart_photo_upload", kwargs={"chart_id": chart.pk})
    refused = login(provider).post(upload_url, {"files": [upload()], "angle": "front", "phase": "after"}, **HTMX)
    assert refused.status_code == 422 and "signed" in refused.content.decode()
    assert ClinicalPhoto.objects.filter(chart=chart).count() == 1


def test_chart_block_for_the_md_is_view_only(world, md, login):
    chart = make_chart(world["actor"], world["patient"])
    make_photo(world["actor"], world["patient"], chart_id=chart.pk)
    html = login(md).get(reverse("photos:chart_photos", kwargs={"chart_id": chart.pk}), **HTMX).content.decode()
    assert html.count("data-photo-tile") == 1 and 'name="files"' not in html and "Capture" not in html


def test_png_upload_images_are_accepted(world, provider, login):
    url = reverse("photos:patient_photo_upload", kwargs={"patient_id": world["patient"].pk})
    png = upload(data=images.png((50, 40)), name="shot.png")
    response = login(provider).post(url, {"camera": png, "angle": "other", "phase": "other"}, **HTMX)
    assert response.status_code == 200
    assert ClinicalPhoto.objects.filter(patient=world["patient"], angle="other").count() == 1
