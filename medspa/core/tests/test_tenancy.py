"""TEN-1: every tenant-owned model carries its clinic key, first in composite indexes."""

import pytest
from django.apps import apps
from django.db import models

# Reviewed allowlist: models that are not owned by one clinic, with the reason.
NOT_TENANT_OWNED = {
    "core.clinic": "the tenant itself",
    "core.audithead": "chain heads keyed by chain id (clinic id or 'system')",
    "core.auditevent": "has a nullable clinic: events before a clinic is known go to the system chain",
    "accounts.user": "a person may belong to several clinics through memberships",
}
THIRD_PARTY_APPS = {"admin", "auth", "contenttypes", "sessions", "messages", "axes", "account", "mfa", "djhuey"}


def medspa_models():
    return [
        m for m in apps.get_models() if m._meta.app_label not in THIRD_PARTY_APPS and m.__module__.startswith("medspa.")
    ]


def test_project_models_are_found():
    labels = {m._meta.label_lower for m in medspa_models()}
    assert {"core.location", "accounts.membership", "accounts.apitoken"} <= labels


@pytest.mark.parametrize("model", medspa_models(), ids=lambda m: m._meta.label_lower)
def test_tenant_models_have_clinic_key(model):
    label = model._meta.label_lower
    if label in NOT_TENANT_OWNED:
        return
    field = model._meta.get_field("clinic")
    assert isinstance(field, models.ForeignKey) and field.related_model._meta.label_lower == "core.clinic"
    assert not field.null, f"{label}.clinic must be NOT NULL"
    for index in model._meta.indexes:
        if len(index.fields) > 1:
            assert index.fields[0] == "clinic", f"{label} index {index.name} must start with clinic"
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            assert "clinic" in constraint.fields, f"{label} unique constraint {constraint.name} lacks clinic"
    for together in model._meta.unique_together:
        assert "clinic" in together, f"{label} unique_together {together} lacks clinic"
