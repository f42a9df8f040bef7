"""Signatures and review: provider signing, the MD's co-signature, returns, questions, locking and amendments."""

from __future__ import annotations

import contextlib

from django.db import transaction
from django.utils import timezone

from medspa.charting.choices import (
    AMENDABLE_STATES,
    SIGNATURE_MEANINGS,
    ChartStatus,
    ReviewNoteKind,
    SignatureKind,
)
from medspa.charting.content import validate_products
from medspa.charting.models import (
    Chart,
    ChartAmendment,
    ChartReviewNote,
    ChartSignature,
)
from medspa.charting.selectors import as_uuid, chart_checklist, clinic_settings
from medspa.charting.services.common import (
    AMEND,
    MANAGERS,
    MAX_REASON,
    SIGN,
    SIGN_MD,
)
from medspa.charting.signing import amendment_document, chart_document, chart_row, sha256, signature_document
from medspa.core import files
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from medspa.photos import selectors as photo_selectors


def _reauthenticate(actor: Actor, password: str) -> None:
    """The signer proves who they are at the moment of signing (password)."""
    user = actor.user
    if user is None or not password or not user.check_password(password):
        raise InvalidInput(
            "Your password is not correct.",
            code="reauthentication_failed",
            fields={"password": "Enter your password to sign."},
        )


SIGNATURE_KIND = "signature"


def _signature_image(data) -> files.PreparedFile | None:
    """A drawn signature checked and re-encoded like any upload (before the transaction)."""
    return files.prepare_drawn(data, field="signature_image")


def _stored_signature(actor: Actor, prepared: files.PreparedFile | None):
    """The drawn signature's file row, inside the signing transaction (None when none)."""
    return files.stored_file_create(actor=actor, prepared=prepared, kind=SIGNATURE_KIND) if prepared else None


def _blob(prepared: files.PreparedFile | None):
    """Write the drawn signature's sealed bytes for the transaction's life (removed again if it fails)."""
    return files.blob_written(prepared) if prepared else contextlib.nullcontext()


def _signer_name(user) -> str:
    return (user.get_full_name() or user.email)[:160]


def _sign(
    *,
    actor: Actor,
    chart: Chart,
    kind: str,
    content_hash: str,
    now,
    amendment=None,
    override="",
    missing=(),
    image=None,
) -> ChartSignature:
    values = {
        "chart_id": chart.pk,
        "amendment_id": amendment.pk if amendment else None,
        "kind": kind,
        "signer_id": actor.user.pk,
        "signer_name": _signer_name(actor.user),
        "signer_role": actor.role,
        "meaning": SIGNATURE_MEANINGS[kind],
        "signed_at": now,
        "content_hash": content_hash,
        "override_reason": override,
    }
    return ChartSignature.objects.create(
        clinic=actor.clinic,
        signature_hash=sha256(signature_document({**values, "image_sha256": image.sha256 if image else ""})),
        missing=list(missing),
        image=image,
        **values,
    )


def chart_sign(*, actor: Actor, chart_id, password: str, override_reason: str = "", signature_image=None) -> Chart:
    """The provider signs their draft: the checklist must be complete, or — where the clinic
    allows it — the provider gives a written reason. Photos are frozen into the content by
    file hash and annotation version. Services needing MD review go to the MD queue; the
    rest lock on this signature. A drawn signature, if given, is stored with it and bound by
    its hash."""
    actor.require(SIGN)
    return _provider_sign(
        actor,
        chart_id,
        password=password,
        override_reason=override_reason,
        drawn=_signature_image(signature_image),
    )


def _provider_sign(actor: Actor, chart_id, *, password: str | None, override_reason: str, drawn) -> Chart:
    """chart_sign's work; `password=None` only when the caller has just re-authenticated the
    signer for this very action (signing several drafts at once)."""
    with _blob(drawn), transaction.atomic():
        chart = Chart.objects.select_for_update().filter(clinic=actor.clinic, pk=as_uuid(chart_id)).first()
        if chart is None:
            raise NotFound()
        if chart.provider_id != getattr(actor.user, "pk", None):
            raise PermissionDenied("Only the treating provider signs this chart.", permission=SIGN)
        if chart.status != ChartStatus.DRAFT:
            raise Conflict("This chart is already signed.", code="already_signed")
        if password is not None:
            _reauthenticate(actor, password)
        items = chart_checklist(actor=actor, chart=chart)
        missing = [f"{item.label}: {item.detail}" for item in items if not item.ok]
        # Guard items (required consents) are always passable with a reason, whatever the
        # clinic's rule for the rest of the checklist; the reason is stored and audited.
        strict = [item for item in items if not item.ok and not item.guard]
        override_reason = (override_reason or "").replace("\x00", "").strip()[:MAX_REASON]
        if missing:
            if strict and not clinic_settings(clinic=actor.clinic).allow_sign_with_missing:
                raise InvalidInput(
                    "Complete the checklist before signing.",
                    code="incomplete",
                    fields={"checklist": "; ".join(missing)},
                )
            if not override_reason:
                raise InvalidInput(
                    "Give a reason to sign with items missing.",
                    code="incomplete",
                    fields={"override_reason": "; ".join(missing)},
                )
        else:
            override_reason = ""
        now = timezone.now()
        content = {
            **chart.content,
            "photos": photo_selectors.chart_photo_manifest(clinic_id=actor.clinic.pk, chart_id=chart.pk),
        }
        chart.content = content
        content_hash = sha256(chart_document(chart_row(chart)))
        # Content first while still a draft (the database refuses content changes after).
        Chart.objects.filter(pk=chart.pk).update(content=content, updated_at=now)
        signature = _sign(
            actor=actor,
            chart=chart,
            kind=SignatureKind.PROVIDER,
            content_hash=content_hash,
            now=now,
            override=override_reason,
            missing=missing,
            image=_stored_signature(actor, drawn),
        )
        chart.provider_signature = signature
        chart.md_signature = None
        chart.submitted_at = now
        chart.info_requested = False
        if chart.requires_md_review:
            chart.status = ChartStatus.NEEDS_SIGNOFF
        else:
            chart.status = ChartStatus.LOCKED
            chart.locked_at = now
        chart.version += 1
        chart.save(
            update_fields=[
                "provider_signature",
                "md_signature",
                "submitted_at",
                "info_requested",
                "status",
                "locked_at",
                "version",
                "updated_at",
            ]
        )
        audit_record(
            action="chart.signed",
            actor=actor,
            obj=chart,
            patient_id=str(chart.patient_id),
            changes={
                "status": chart.status,
                "content_hash": content_hash,
                "override_reason": override_reason or None,
                "missing": missing or None,
            },
        )
    return chart


def charts_sign_many(*, actor: Actor, chart_ids: list, password: str) -> list[Chart]:
    """ "Sign & send to MD" for several completed drafts in one action: all or none. A chart
    with checklist items missing stops the whole batch (sign it on its own, with a reason)."""
    actor.require(SIGN)
    if not isinstance(chart_ids, list) or not chart_ids or len(chart_ids) > 50:
        raise InvalidInput(fields={"chart_ids": "Choose from 1 to 50 charts."})
    _reauthenticate(actor, password)
    ids = list(dict.fromkeys(as_uuid(c) for c in chart_ids))
    with transaction.atomic():
        signed = []
        for chart_id in ids:
            try:
                signed.append(_provider_sign(actor, chart_id, password=None, override_reason="", drawn=None))
            except InvalidInput as exc:  # name the chart that stopped the batch
                raise InvalidInput(
                    "A chart has checklist items missing; sign it on its own, with a reason.",
                    code=exc.code,
                    fields={**exc.fields, "chart_ids": str(chart_id)},
                ) from None
        return signed


def _md_for(actor: Actor, chart: Chart) -> None:
    actor.require(SIGN_MD)
    settings = clinic_settings(clinic=actor.clinic)
    named = {settings.medical_director_id, settings.alternate_medical_director_id} - {None}
    if named and getattr(actor.user, "pk", None) not in named:
        raise PermissionDenied("Only the clinic's medical director or alternate co-signs.", permission=SIGN_MD)


def _queued(actor: Actor, chart_id) -> Chart:
    chart = Chart.objects.select_for_update().filter(clinic=actor.clinic, pk=as_uuid(chart_id)).first()
    if chart is None:
        raise NotFound()
    _md_for(actor, chart)
    if chart.status != ChartStatus.NEEDS_SIGNOFF:
        raise Conflict("This chart is not waiting for sign-off.", code="not_in_queue")
    return chart


def chart_md_sign(*, actor: Actor, chart_id, password: str, signature_image=None) -> Chart:
    """The medical director co-signs a chart in the queue; it becomes MD signed. The
    signature binds the same content hash the provider signed (and the drawn signature, if
    given, by its hash)."""
    actor.require(SIGN_MD)
    drawn = _signature_image(signature_image)
    with _blob(drawn), transaction.atomic():
        chart = _queued(actor, chart_id)
        if chart.provider_id == getattr(actor.user, "pk", None):
            raise PermissionDenied("A provider cannot co-sign their own chart.", permission=SIGN_MD)
        _reauthenticate(actor, password)
        now = timezone.now()
        content_hash = sha256(chart_document(chart_row(chart)))
        if chart.provider_signature.content_hash != content_hash:
            raise Conflict("The chart differs from what its provider signed; run charts-verify.", code="tampered")
        signature = _sign(
            actor=actor,
            chart=chart,
            kind=SignatureKind.MEDICAL_DIRECTOR,
            content_hash=content_hash,
            now=now,
            image=_stored_signature(actor, drawn),
        )
        chart.md_signature = signature
        chart.status = ChartStatus.MD_SIGNED
        chart.md_signed_at = now
        chart.info_requested = False
        chart.version += 1
        chart.save(update_fields=["md_signature", "status", "md_signed_at", "info_requested", "version", "updated_at"])
        audit_record(
            action="chart.md_signed",
            actor=actor,
            obj=chart,
            patient_id=str(chart.patient_id),
            changes={"content_hash": content_hash},
        )
    return chart


def _comment(text) -> str:
    text = (text or "").replace("\x00", "").strip() if isinstance(text, str) else ""
    if not text:
        raise InvalidInput(fields={"comment": "Write a comment for the provider."})
    if len(text) > 4000:
        raise InvalidInput(fields={"comment": "At most 4000 characters."})
    return text


def chart_return(*, actor: Actor, chart_id, comment: str) -> Chart:
    """The MD returns a chart to its provider with a comment: back to Draft; the provider's
    signature no longer binds it (it stays on record) and they sign again after editing."""
    actor.require(SIGN_MD)
    with transaction.atomic():
        chart = _queued(actor, chart_id)
        comment = _comment(comment)
        ChartReviewNote.objects.create(
            clinic=actor.clinic, chart=chart, kind=ReviewNoteKind.RETURNED, author=actor.user, comment=comment
        )
        chart.status = ChartStatus.DRAFT
        chart.provider_signature = None
        chart.submitted_at = None
        chart.info_requested = False
        chart.version += 1
        chart.save(
            update_fields=["status", "provider_signature", "submitted_at", "info_requested", "version", "updated_at"]
        )
        audit_record(action="chart.returned", actor=actor, obj=chart, patient_id=str(chart.patient_id))
    return chart


def chart_request_info(*, actor: Actor, chart_id, comment: str) -> Chart:
    """The MD asks the provider a question; the chart stays in the queue."""
    actor.require(SIGN_MD)
    with transaction.atomic():
        chart = _queued(actor, chart_id)
        comment = _comment(comment)
        ChartReviewNote.objects.create(
            clinic=actor.clinic, chart=chart, kind=ReviewNoteKind.INFO_REQUESTED, author=actor.user, comment=comment
        )
        chart.info_requested = True
        chart.save(update_fields=["info_requested", "updated_at"])
        audit_record(action="chart.info_requested", actor=actor, obj=chart, patient_id=str(chart.patient_id))
    return chart


def chart_reply(*, actor: Actor, chart_id, comment: str) -> Chart:
    """The provider answers the MD's question on a queued chart."""
    actor.require(SIGN)
    comment = _comment(comment)
    with transaction.atomic():
        chart = Chart.objects.select_for_update().filter(clinic=actor.clinic, pk=as_uuid(chart_id)).first()
        if chart is None:
            raise NotFound()
        if chart.provider_id != getattr(actor.user, "pk", None):
            raise PermissionDenied("Only the chart's provider replies.", permission=SIGN)
        if chart.status != ChartStatus.NEEDS_SIGNOFF:
            raise Conflict("This chart is not waiting for sign-off.", code="not_in_queue")
        ChartReviewNote.objects.create(
            clinic=actor.clinic, chart=chart, kind=ReviewNoteKind.REPLY, author=actor.user, comment=comment
        )
        chart.info_requested = False
        chart.save(update_fields=["info_requested", "updated_at"])
        audit_record(action="chart.replied", actor=actor, obj=chart, patient_id=str(chart.patient_id))
    return chart


def chart_lock(*, actor: Actor, chart_id) -> Chart:
    """Close an MD-signed chart for good (its provider, the MD or a manager). Already locked: no change."""
    if not (actor.can(SIGN) or actor.can(SIGN_MD)):
        raise PermissionDenied(permission=SIGN)
    with transaction.atomic():
        chart = Chart.objects.select_for_update().filter(clinic=actor.clinic, pk=as_uuid(chart_id)).first()
        if chart is None:
            raise NotFound()
        if chart.status == ChartStatus.LOCKED:
            return chart
        if chart.status != ChartStatus.MD_SIGNED:
            raise Conflict("Only a chart the medical director has signed can be locked.", code="not_signed")
        if not (chart.provider_id == getattr(actor.user, "pk", None) or actor.can(SIGN_MD) or actor.role in MANAGERS):
            raise PermissionDenied(permission=SIGN)
        chart.status = ChartStatus.LOCKED
        chart.locked_at = timezone.now()
        chart.version += 1
        chart.save(update_fields=["status", "locked_at", "version", "updated_at"])
        audit_record(action="chart.locked", actor=actor, obj=chart, patient_id=str(chart.patient_id))
    return chart


def chart_amend(
    *, actor: Actor, chart_id, reason: str, text: str, password: str, product_corrections=None
) -> ChartAmendment:
    """Append a signed amendment to a closed chart (reason, text, corrected product rows).
    The original stays exactly as signed; the amendment points back at its content hash."""
    actor.require(AMEND)
    reason = (reason or "").replace("\x00", "").strip() if isinstance(reason, str) else ""
    text = (text or "").replace("\x00", "").strip() if isinstance(text, str) else ""
    if not reason:
        raise InvalidInput(fields={"reason": "Say why the chart is amended."})
    if len(reason) > 300:
        raise InvalidInput(fields={"reason": "At most 300 characters."})
    if not text and not product_corrections:
        raise InvalidInput(fields={"text": "Write the amendment."})
    if len(text) > 10000:
        raise InvalidInput(fields={"text": "At most 10000 characters."})
    with transaction.atomic():
        chart = Chart.objects.select_for_update().filter(clinic=actor.clinic, pk=as_uuid(chart_id)).first()
        if chart is None:
            raise NotFound()
        if chart.status not in AMENDABLE_STATES:
            raise Conflict("Only a closed chart is amended; edit the draft instead.", code="not_closed")
        corrections = validate_products(product_corrections, treated_on=timezone.localdate(chart.treated_at))
        _reauthenticate(actor, password)
        number = ChartAmendment.objects.filter(clinic=actor.clinic, chart=chart).count() + 1
        amendment = ChartAmendment.objects.create(
            clinic=actor.clinic,
            chart=chart,
            number=number,
            reason=reason,
            text=text,
            product_corrections=corrections,
            author=actor.user,
        )
        content_hash = sha256(
            amendment_document(
                {
                    "id": amendment.pk,
                    "chart_id": chart.pk,
                    "number": number,
                    "reason": reason,
                    "text": text,
                    "product_corrections": corrections,
                    "author_id": actor.user.pk,
                    "original_content_hash": chart.provider_signature.content_hash,
                }
            )
        )
        _sign(
            actor=actor,
            chart=chart,
            kind=SignatureKind.AMENDMENT,
            content_hash=content_hash,
            now=timezone.now(),
            amendment=amendment,
        )
        audit_record(
            action="chart.amended",
            actor=actor,
            obj=chart,
            patient_id=str(chart.patient_id),
            changes={"amendment": number, "content_hash": content_hash},
        )
    return amendment
