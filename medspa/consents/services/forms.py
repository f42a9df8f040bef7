"""Forms, their versions and requirements: drafts are edited, versions are published and never
change, a material change makes earlier signatures stop counting for future visits."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from medspa.consents.choices import FormKind
from medspa.consents.definition import definition_clean
from medspa.consents.library import LIBRARY
from medspa.consents.models import Form, FormRequirement, FormVersion
from medspa.consents.selectors import as_uuid, form_for_update
from medspa.consents.signing import definition_hash
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, InvalidInput, NotFound

MANAGE = "consents.manage"
MAX_VALID_DAYS = 3650


def _valid_days(value) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(fields={"valid_days": "Enter a number of days, or leave empty for no expiry."}) from None
    if isinstance(value, bool) or not 1 <= days <= MAX_VALID_DAYS:
        raise InvalidInput(fields={"valid_days": f"Enter 1 to {MAX_VALID_DAYS} days, or leave empty."})
    return days


def _name(value) -> str:
    name = (value or "").strip()[:120] if isinstance(value, str | type(None)) else ""
    if not name:
        raise InvalidInput(fields={"name": "Name the form."})
    return name


def _kind(value) -> str:
    if value not in FormKind.values:
        raise InvalidInput(fields={"kind": "Choose what kind of form this is."})
    return value


def _publish(actor: Actor, form: Form, definition: dict, *, material: bool, note: str = "") -> FormVersion:
    """Append the next version (inside the caller's transaction)."""
    number = form.current_version + 1
    material = material or number == 1
    version = FormVersion.objects.create(
        clinic=form.clinic,
        form=form,
        number=number,
        name=form.name,
        definition=definition,
        material=material,
        change_note=(note or "").strip()[:300],
        definition_hash=definition_hash(definition),
        published_at=timezone.now(),
        published_by=actor.user,
    )
    form.current_version = number
    if material:
        form.material_version = number
    form.draft = None
    form.save(update_fields=["current_version", "material_version", "draft", "updated_at"])
    return version


def form_library_install(*, clinic, actor: Actor | None = None) -> int:
    """Give a clinic every library form it lacks, published as version 1 (idempotent; the
    installation is audited when it adds any)."""
    actor = actor or Actor.system(clinic=clinic)
    actor.require(MANAGE)
    existing = set(Form.objects.filter(clinic=clinic).values_list("key", flat=True))
    added = 0
    with transaction.atomic():
        for key, spec in LIBRARY.items():
            if key in existing:
                continue
            form = Form.objects.create(
                clinic=clinic,
                key=key,
                name=spec["name"],
                kind=spec["kind"],
                description=spec["description"],
                valid_days=spec["valid_days"],
                from_library=True,
            )
            _publish(actor, form, definition_clean(spec["definition"]), material=True)
            added += 1
        if added:
            audit_record(
                action="form.library_installed",
                actor=actor,
                clinic=clinic,
                object_type="consents.form",
                changes={"added": added},
            )
    return added


def form_create(
    *,
    actor: Actor,
    name,
    kind,
    definition,
    description: str = "",
    valid_days=None,
    prefill: bool = True,
    publish: bool = False,
) -> Form:
    """A new form, saved as a draft (or published at once as version 1)."""
    actor.require(MANAGE)
    name, kind, days = _name(name), _kind(kind), _valid_days(valid_days)
    clean = definition_clean(definition)
    with transaction.atomic():
        key = base = slugify(name)[:50] or "form"
        n = 2
        while Form.objects.filter(clinic=actor.clinic, key=key).exists():
            key, n = f"{base}-{n}", n + 1
        form = Form.objects.create(
            clinic=actor.clinic,
            key=key,
            name=name,
            kind=kind,
            description=(description or "")[:300],
            valid_days=days,
            prefill=bool(prefill),
            draft=clean,
            created_by=actor.user,
        )
        if publish:
            _publish(actor, form, clean, material=True)
        audit_record(action="form.created", actor=actor, obj=form, changes={"name": name, "published": publish})
    return form


def form_update(
    *, actor: Actor, form_id, definition=None, name=None, kind=None, description=None, valid_days=..., prefill=None
) -> Form:
    """Edit a form: a new definition becomes the draft of the next version (published
    versions never change); name, kind, validity and prefill apply from now on."""
    actor.require(MANAGE)
    clean = definition_clean(definition) if definition is not None else None
    with transaction.atomic():
        form = form_for_update(actor=actor, form_id=form_id)
        changed = []
        if clean is not None:
            form.draft = clean
            changed.append("draft")
        if name is not None:
            form.name = _name(name)
            changed.append("name")
        if kind is not None:
            form.kind = _kind(kind)
            changed.append("kind")
        if description is not None:
            form.description = str(description)[:300]
            changed.append("description")
        if valid_days is not ...:
            form.valid_days = _valid_days(valid_days)
            changed.append("valid_days")
        if prefill is not None:
            form.prefill = bool(prefill)
            changed.append("prefill")
        form.save()
        audit_record(action="form.updated", actor=actor, obj=form, changes={"fields": changed})
    return form


def form_publish(
    *, actor: Actor, form_id, material: bool, note: str = "", base_version: int | None = None
) -> FormVersion:
    """Publish the draft as the next version. `material` says whether patients must sign
    again before their next visit; a stale `base_version` is a 409; nothing to publish is a 409."""
    actor.require(MANAGE)
    with transaction.atomic():
        form = form_for_update(actor=actor, form_id=form_id)
        if base_version is not None and base_version != form.current_version:
            raise Conflict("Someone else published this form; reload it.", code="stale_version")
        if form.draft is None:
            raise Conflict("There are no changes to publish.", code="nothing_to_publish")
        version = _publish(actor, form, definition_clean(form.draft), material=bool(material), note=note)
        audit_record(
            action="form.published",
            actor=actor,
            obj=form,
            changes={"version": version.number, "material": version.material},
        )
    return version


def form_discard_draft(*, actor: Actor, form_id) -> Form:
    actor.require(MANAGE)
    with transaction.atomic():
        form = form_for_update(actor=actor, form_id=form_id)
        if form.current_version == 0:
            raise Conflict("A form that was never published has only its draft.", code="never_published")
        form.draft = None
        form.save(update_fields=["draft", "updated_at"])
        audit_record(action="form.draft_discarded", actor=actor, obj=form)
    return form


def form_set_active(*, actor: Actor, form_id, active: bool) -> Form:
    """Retire a form (no longer sent, required or submitted; its versions stay readable) or
    bring it back."""
    actor.require(MANAGE)
    with transaction.atomic():
        form = form_for_update(actor=actor, form_id=form_id)
        form.active = bool(active)
        form.save(update_fields=["active", "updated_at"])
        audit_record(action="form.activated" if active else "form.retired", actor=actor, obj=form)
    return form


def requirements_set(*, actor: Actor, form_id, rules: list[dict]) -> list[FormRequirement]:
    """Replace the form's requirements: each rule names a service, a provider, both, or
    neither (every visit). Unknown or other clinics' services and providers are refused."""
    from medspa.accounts.models import Membership
    from medspa.catalog.models import Service

    actor.require(MANAGE)
    if not isinstance(rules, list) or len(rules) > 200:
        raise InvalidInput(fields={"requirements": "Give a list of at most 200 rules."})
    pairs = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise InvalidInput(fields={f"requirements.{index}": "A rule names a service and/or a provider."})
        service_id = rule.get("service_id") or None
        provider_id = rule.get("provider_id") or None
        if service_id is not None:
            try:
                sid = as_uuid(service_id)
            except NotFound:
                sid = None
            if sid is None or not Service.objects.filter(clinic=actor.clinic, pk=sid).exists():
                raise InvalidInput(fields={f"requirements.{index}.service_id": "Choose one of the clinic's services."})
            service_id = sid
        if provider_id is not None:
            try:
                pid = as_uuid(provider_id)
            except NotFound:
                pid = None
            if pid is None or not Membership.objects.filter(clinic=actor.clinic, user_id=pid, is_active=True).exists():
                raise InvalidInput(fields={f"requirements.{index}.provider_id": "Choose one of the clinic's staff."})
            provider_id = pid
        pairs.append((service_id, provider_id))
    pairs = list(dict.fromkeys(pairs))
    with transaction.atomic():
        form = form_for_update(actor=actor, form_id=form_id)
        FormRequirement.objects.filter(clinic=actor.clinic, form=form).delete()
        rows = FormRequirement.objects.bulk_create(
            FormRequirement(clinic=actor.clinic, form=form, service_id=s, provider_id=p) for s, p in pairs
        )
        Form.objects.filter(pk=form.pk).update(updated_at=F("updated_at"))
        audit_record(action="form.requirements_set", actor=actor, obj=form, changes={"rules": len(rows)})
    return rows
