"""Merging duplicate profiles, and the registry that makes forgetting a related table impossible.

Every foreign key to `Patient`, in any app, must be registered here with how a merge
moves it; `test_merge_registry_covers_every_foreign_key` walks the models and fails on a
key nobody registered. Apps register from their AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models

Mover = Callable[[type[models.Model], str, object, object], int]


def move_all(model, field: str, duplicate, survivor) -> int:
    """Point every row at the survivor."""
    return model._base_manager.filter(**{field: duplicate}).update(**{field: survivor})


def move_unless_present(*keys: str) -> Mover:
    """Move rows, dropping those the survivor already has (same values of `keys`)."""

    def mover(model, field: str, duplicate, survivor) -> int:
        manager = model._base_manager
        have = set(manager.filter(**{field: survivor}).values_list(*keys))
        clashing = [
            row["pk"]
            for row in manager.filter(**{field: duplicate}).values("pk", *keys)
            if tuple(row[k] for k in keys) in have
        ]
        manager.filter(pk__in=clashing).delete()
        return manager.filter(**{field: duplicate}).update(**{field: survivor})

    return mover


@dataclass(frozen=True)
class Entry:
    model: type[models.Model]
    field: str
    mover: Mover


_REGISTRY: dict[tuple[str, str], Entry] = {}


def register(model: type[models.Model], field: str, mover: Mover = move_all) -> None:
    """Declare how a merge moves `model.field` (a foreign key to Patient)."""
    _REGISTRY[(model._meta.label_lower, field)] = Entry(model, field, mover)


def registered() -> dict[tuple[str, str], Entry]:
    return dict(_REGISTRY)


def keep_in_place(model, field: str, duplicate, survivor) -> int:
    """Nothing moves: signed clinical records (charts, their photos) name the patient they
    were written for, and a signature binds that id. The survivor's pages read them through
    `patients.selectors.patient_record_ids`, which follows merges."""
    return 0


def _review_done(model, field: str, duplicate, survivor) -> int:
    """Merging settles the "possible duplicate" question: the flags pointing at the merged
    profile are cleared rather than moved (the survivor would otherwise point at itself)."""
    return model._base_manager.filter(**{field: duplicate}).update(**{field: None})


def _relationships(model, field: str, duplicate, survivor) -> int:
    """Family links move unless they would link the survivor to itself or repeat a link."""
    other = "related" if field == "patient" else "patient"
    manager = model._base_manager
    manager.filter(**{field: duplicate, other: survivor}).delete()
    have = set(manager.filter(**{field: survivor}).values_list(other, flat=True))
    manager.filter(**{field: duplicate, f"{other}__in": have}).delete()
    return manager.filter(**{field: duplicate}).update(**{field: survivor})


def register_patient_tables() -> None:
    from medspa.patients.models import Allergy, Communication, Patient, PatientTag, Relationship

    register(Patient, "primary_contact")
    register(Patient, "merged_into")
    register(Patient, "possible_duplicate_of", _review_done)
    register(PatientTag, "patient", move_unless_present("tag_id"))
    register(Allergy, "patient", move_unless_present("substance"))
    register(Relationship, "patient", _relationships)
    register(Relationship, "related", _relationships)
    register(Communication, "patient")
