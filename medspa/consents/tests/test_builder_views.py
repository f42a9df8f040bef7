"""Forms & consents settings pages: the list, the library, the builder (drafts, inline
errors), publishing, versions, retiring, requirements, roles and tenancy."""

from __future__ import annotations

import json

import pytest

from medspa.consents import selectors, services
from medspa.consents.library import LIBRARY
from medspa.consents.models import Form, FormRequirement, FormVersion
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role

pytestmark = pytest.mark.django_db

DEFINITION = {
    "sections": [
        {
            "key": "health",
            "title": "Health",
            "fields": [
                {"key": "pregnant", "label": "Are you pregnant?", "type": "yes_no", "required": True},
                {
                    "key": "due_date",
                    "label": "Due date",
                    "type": "date",
                    "show_if": {"field": "pregnant", "op": "equals", "value": "yes"},
                },
            ],
        },
        {
            "key": "sign",
            "title": "Signature",
            "fields": [{"key": "signature", "label": "Signature", "type": "signature", "required": True}],
        },
    ]
}
DETAILS = {"name": "Pregnancy screen", "kind": "intake", "description": "", "valid_days": "365", "prefill": "on"}


def _post_details(form: Form, **extra) -> dict:
    return {
        "name": form.name,
        "kind": form.kind,
        "description": form.description,
        "valid_days": form.valid_days or "",
        **({"prefill": "on"} if form.prefill else {}),
        **extra,
    }


def _with_extra_field(definition: dict, field: dict) -> dict:
    changed = json.loads(json.dumps(definition))
    changed["sections"][0]["fields"].append(field)
    return changed


def _draft(w, form: Form) -> None:
    """Save an edited definition of `form` as its draft (a question added)."""
    current = selectors.current_version(form)
    extra = {"key": f"extra_{current.number}", "label": "Anything else?", "type": "long_text"}
    changed = _with_extra_field(current.definition, extra)
    services.form_update(actor=w.as_owner, form_id=form.pk, definition=changed)


# The list ---------------------------------------------------------------------------------


def test_list_shows_each_form_with_version_draft_validity_and_requirements(
    forms_world, login, django_assert_max_num_queries
):
    w = forms_world
    _draft(w, w.consent)
    services.form_set_active(actor=w.as_owner, form_id=w.form("post-care").pk, active=False)
    client = login(w.owner)
    with django_assert_max_num_queries(20):
        response = client.get("/settings/forms/")
    assert response.status_code == 200
    body = response.content.decode()
    rows = {row["form"].key: row for row in response.context["rows"]}
    assert len(rows) == len(LIBRARY)
    consent = rows["neurotoxin-consent"]
    assert consent["required_for"] == w.consent.requirements.get().service.name
    assert "Draft pending" in body and "Until revoked" in body and "Retired" in body
    assert 'href="/settings/forms/new/"' in body and "Install library forms" in body
    assert 'aria-current="page"' in body and "Forms &amp; consents" in body


def test_empty_list_then_library_install(clinic, owner, login):
    client = login(owner)
    body = client.get("/settings/forms/").content.decode()
    assert "No forms yet" in body
    response = client.post("/settings/forms/install/", follow=True)
    assert response.status_code == 200
    assert Form.objects.filter(clinic=clinic).count() == len(LIBRARY)
    assert f"{len(LIBRARY)} library forms added" in response.content.decode()
    response = client.post("/settings/forms/install/", follow=True)
    assert "Every library form is already installed." in response.content.decode()
    assert Form.objects.filter(clinic=clinic).count() == len(LIBRARY)


# The builder ------------------------------------------------------------------------------


def test_new_form_is_saved_as_a_draft(forms_world, login):
    w = forms_world
    client = login(w.owner)
    page = client.get("/settings/forms/new/")
    assert page.status_code == 200 and "dist/form_builder.js" in page.content.decode()
    response = client.post("/settings/forms/new/", {**DETAILS, "definition": json.dumps(DEFINITION)})
    form = Form.objects.get(clinic=w.clinic, name="Pregnancy screen")
    assert response.status_code == 302 and response["Location"] == f"/settings/forms/{form.pk}/"
    assert form.current_version == 0 and form.valid_days == 365 and form.kind == "intake"
    assert form.draft["sections"][0]["fields"][1]["show_if"] == {"field": "pregnant", "op": "equals", "value": "yes"}
    page = client.get(response["Location"])
    body = page.content.decode()
    assert "draft saved" in body and "not published yet" in body and "Publish version 1" in body
    assert json.loads(page.context["definition_json"]) == form.draft


def test_invalid_definition_is_shown_inline_and_nothing_is_written(forms_world, login):
    w = forms_world
    form = w.consent
    client = login(w.owner)
    current = selectors.current_version(form)
    bad = _with_extra_field(current.definition, {"key": "area", "label": "Area treated", "type": "single_choice"})
    events = AuditEvent.objects.filter(action="form.updated").count()
    response = client.post(
        f"/settings/forms/{form.pk}/", {**_post_details(form, name="Renamed"), "definition": json.dumps(bad)}
    )
    assert response.status_code == 422
    index = len(bad["sections"][0]["fields"]) - 1
    path = f"sections.0.fields.{index}.options"
    assert response.context["config"]["errors"] == {path: "Give the options to choose from."}
    title = bad["sections"][0]["title"]
    assert (
        f"Section 1 “{title}”, field {index + 1} “Area treated”, options: Give the options" in response.content.decode()
    )
    # The editor starts from what was posted, so nothing typed is lost.
    assert json.loads(response.context["definition_json"]) == bad
    form.refresh_from_db()
    assert form.draft is None and form.name == "Neurotoxin consent"
    assert AuditEvent.objects.filter(action="form.updated").count() == events

    later = json.loads(json.dumps(current.definition))
    later["sections"][0]["show_if"] = {"field": "printed_name", "op": "answered"}
    response = client.post(f"/settings/forms/{form.pk}/", {**_post_details(form), "definition": json.dumps(later)})
    assert response.status_code == 422
    assert list(response.context["config"]["errors"]) == ["sections.0.show_if"]
    assert "comes before it" in response.content.decode()

    response = client.post(f"/settings/forms/{form.pk}/", {**_post_details(form), "definition": "{not json"})
    assert response.status_code == 422 and "could not be read" in response.content.decode()
    response = client.post(
        f"/settings/forms/{form.pk}/", {**_post_details(form, valid_days="99999"), "definition": json.dumps(bad)}
    )
    assert response.status_code == 422 and response.context["details"].errors["valid_days"]
    form.refresh_from_db()
    assert form.draft is None


def test_saving_an_unchanged_definition_changes_only_the_details(forms_world, login):
    w = forms_world
    form = w.consent
    current = selectors.current_version(form)
    client = login(w.owner)
    response = client.post(
        f"/settings/forms/{form.pk}/",
        {**_post_details(form, name="Botox consent", valid_days=""), "definition": json.dumps(current.definition)},
    )
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.name == "Botox consent" and form.draft is None and form.valid_days is None
    changed = _with_extra_field(current.definition, {"key": "extra", "label": "Extra", "type": "short_text"})
    client.post(f"/settings/forms/{form.pk}/", {**_post_details(form), "definition": json.dumps(changed)})
    form.refresh_from_db()
    assert form.draft is not None and form.current_version == 1
    assert "Draft pending" in client.get(f"/settings/forms/{form.pk}/").content.decode()


# Publishing -------------------------------------------------------------------------------


def test_publish_material_then_minor(forms_world, login):
    w = forms_world
    form = w.consent
    client = login(w.owner)
    _draft(w, form)
    response = client.post(
        f"/settings/forms/{form.pk}/publish/", {"material": "yes", "note": "New risk", "base_version": "1"}
    )
    assert response.status_code == 302
    form.refresh_from_db()
    assert (form.current_version, form.material_version, form.draft) == (2, 2, None)
    body = client.get(response["Location"]).content.decode()
    assert "Patients will sign it again before their next visit." in body and "New risk" in body

    _draft(w, Form.objects.get(pk=form.pk))
    response = client.post(
        f"/settings/forms/{form.pk}/publish/", {"material": "no", "note": "Typo", "base_version": "2"}
    )
    assert response.status_code == 302
    form.refresh_from_db()
    assert (form.current_version, form.material_version) == (3, 2)
    version = FormVersion.objects.get(form=form, number=3)
    assert version.material is False and version.change_note == "Typo" and version.published_by == w.owner
    body = client.get(response["Location"]).content.decode()
    assert "Earlier signatures still count." in body and "Minor" in body


def test_publish_needs_the_material_answer(forms_world, login):
    w = forms_world
    form = w.consent
    _draft(w, form)
    response = login(w.owner).post(f"/settings/forms/{form.pk}/publish/", {"base_version": "1"})
    assert response.status_code == 422 and "Say whether this is a material change" in response.content.decode()
    assert Form.objects.get(pk=form.pk).current_version == 1


def test_first_publish_is_material_without_asking(forms_world, login):
    w = forms_world
    client = login(w.owner)
    client.post("/settings/forms/new/", {**DETAILS, "definition": json.dumps(DEFINITION)})
    form = Form.objects.get(clinic=w.clinic, name="Pregnancy screen")
    response = client.post(f"/settings/forms/{form.pk}/publish/", {"base_version": "0"})
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.current_version == 1 and form.material_version == 1


def test_stale_publish_is_a_409_with_a_message(forms_world, login):
    w = forms_world
    form = w.consent
    _draft(w, form)
    response = login(w.owner).post(f"/settings/forms/{form.pk}/publish/", {"material": "yes", "base_version": "0"})
    assert response.status_code == 409
    assert "Someone else published this form; reload it." in response.content.decode()
    form.refresh_from_db()
    assert form.current_version == 1 and form.draft is not None


def test_nothing_to_publish_is_a_409(forms_world, login):
    w = forms_world
    response = login(w.owner).post(f"/settings/forms/{w.consent.pk}/publish/", {"material": "yes", "base_version": "1"})
    assert response.status_code == 409 and "There are no changes to publish." in response.content.decode()


def test_discard_draft(forms_world, login):
    w = forms_world
    form = w.consent
    _draft(w, form)
    response = login(w.owner).post(f"/settings/forms/{form.pk}/discard/", follow=True)
    assert response.status_code == 200 and "Draft discarded" in response.content.decode()
    form.refresh_from_db()
    assert form.draft is None and form.current_version == 1


def test_retire_keeps_versions_readable_then_reactivate(forms_world, login):
    w = forms_world
    form = w.consent
    client = login(w.owner)
    response = client.post(f"/settings/forms/{form.pk}/active/", {"active": "0"}, follow=True)
    assert "is retired" in response.content.decode()
    assert Form.objects.get(pk=form.pk).active is False
    page = client.get(f"/settings/forms/{form.pk}/versions/1/")
    assert page.status_code == 200 and "Retired" in page.content.decode()
    client.post(f"/settings/forms/{form.pk}/active/", {"active": "1"})
    assert Form.objects.get(pk=form.pk).active is True


def test_version_page_is_read_only_with_conditions_in_words(forms_world, login):
    w = forms_world
    form = w.form("medical-history")
    client = login(w.owner)
    response = client.get(f"/settings/forms/{form.pk}/versions/1/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Shown only when “Are you pregnant, trying to conceive, or breastfeeding?” is Yes" in body
    assert "preview-definition" in body and 'name="definition"' not in body
    assert client.get(f"/settings/forms/{form.pk}/versions/2/").status_code == 404
    assert client.get(f"/settings/forms/{form.pk}/versions/99999999999999999999/").status_code == 404
    assert client.post(f"/settings/forms/{form.pk}/versions/1/").status_code == 405


# Requirements -----------------------------------------------------------------------------


def _rules(form):
    return sorted(
        (str(r.service_id or ""), str(r.provider_id or ""))
        for r in FormRequirement.objects.filter(clinic=form.clinic, form=form)
    )


def test_requirements_are_replaced_by_the_rows_posted(forms_world, login):
    w = forms_world
    form = w.form("medical-history")
    client = login(w.owner)
    page = client.get(f"/settings/forms/{form.pk}/")
    assert any(v == str(w.service_id) for v, _ in page.context["services"])
    assert any(v == str(w.provider.pk) for v, _ in page.context["providers"])
    response = client.post(
        f"/settings/forms/{form.pk}/requirements/",
        {
            "rule_kind": ["service", "provider", "both", "every", ""],
            "rule_service": [str(w.service_id), "", str(w.service_id), str(w.service_id), ""],
            "rule_provider": ["", str(w.provider.pk), str(w.provider.pk), str(w.provider.pk), ""],
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#requirements")
    assert _rules(form) == sorted(
        [
            (str(w.service_id), ""),
            ("", str(w.provider.pk)),
            (str(w.service_id), str(w.provider.pk)),
            ("", ""),
        ]
    )
    body = client.get(f"/settings/forms/{form.pk}/").content.decode()
    assert body.count('name="rule_kind"') == 4 + 2  # the saved rules, a blank row and the row template
    assert "Every visit" in client.get("/settings/forms/").content.decode()


def test_requirements_refuse_other_clinics_service_and_missing_pickers(forms_world, other_forms_world, login):
    w = forms_world
    form = w.consent
    before = _rules(form)
    client = login(w.owner)
    response = client.post(
        f"/settings/forms/{form.pk}/requirements/",
        {
            "rule_kind": ["every", "service"],
            "rule_service": ["", str(other_forms_world.service_id)],
            "rule_provider": ["", ""],
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Choose one of the clinic&#x27;s services." in body and "Nothing was saved." in body
    assert _rules(form) == before
    response = client.post(
        f"/settings/forms/{form.pk}/requirements/",
        {"rule_kind": ["service"], "rule_service": [""], "rule_provider": [""]},
    )
    assert response.status_code == 422 and "Choose a service." in response.content.decode()
    response = client.post(
        f"/settings/forms/{form.pk}/requirements/",
        {"rule_kind": ["provider"], "rule_service": [""], "rule_provider": [str(other_forms_world.provider.pk)]},
    )
    assert response.status_code == 422 and "Choose one of the clinic&#x27;s staff." in response.content.decode()
    assert _rules(form) == before


# Roles and tenancy ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.PROVIDER, Role.MEDICAL_DIRECTOR])
def test_roles_without_manage_are_refused(forms_world, login, make_member, role):
    w = forms_world
    form = w.consent
    _draft(w, form)
    client = login(make_member(w.clinic, role, email=f"nope-{role}@test.example"))
    for url in (
        "/settings/forms/",
        "/settings/forms/new/",
        f"/settings/forms/{form.pk}/",
        f"/settings/forms/{form.pk}/versions/1/",
    ):
        assert client.get(url).status_code == 403, url
    for url, data in (
        ("/settings/forms/install/", {}),
        (f"/settings/forms/{form.pk}/", {**_post_details(form, name="Hijacked"), "definition": json.dumps(DEFINITION)}),
        (f"/settings/forms/{form.pk}/publish/", {"material": "yes", "base_version": "1"}),
        (f"/settings/forms/{form.pk}/discard/", {}),
        (f"/settings/forms/{form.pk}/active/", {"active": "0"}),
        (f"/settings/forms/{form.pk}/requirements/", {"rule_kind": ["every"]}),
    ):
        assert client.post(url, data).status_code == 403, url
    form.refresh_from_db()
    assert form.name == "Neurotoxin consent" and form.current_version == 1 and form.draft is not None and form.active
    assert _rules(form) == [(str(w.service_id), "")]
    assert "Forms &amp; consents" not in client.get("/settings/services/").content.decode()


def test_another_clinics_form_looks_missing(forms_world, other_forms_world, login):
    w = forms_world
    theirs = other_forms_world.consent
    _draft(other_forms_world, theirs)
    client = login(w.owner)
    base = f"/settings/forms/{theirs.pk}/"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}versions/1/").status_code == 404
    for url, data in (
        (base, {**_post_details(theirs, name="Hijacked"), "definition": json.dumps(DEFINITION)}),
        (f"{base}publish/", {"material": "yes", "base_version": "1"}),
        (f"{base}discard/", {}),
        (f"{base}active/", {"active": "0"}),
        (f"{base}requirements/", {"rule_kind": ["every"]}),
        (f"{base}versions/1/", {}),
    ):
        assert client.post(url, data).status_code == 404, url
    theirs.refresh_from_db()
    assert theirs.name == "Neurotoxin consent" and theirs.draft is not None and theirs.active
    assert theirs.current_version == 1 and _rules(theirs) == [(str(other_forms_world.service_id), "")]
