"""The `Actor`: who is acting, in which clinic, with which permissions.

Every service takes an actor and scopes its queries to `actor.clinic`; nothing reads a
global "current clinic". Staff actors are rebuilt from the database on every request, so
a removed role or ended membership takes effect on the next request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from medspa.core.choices import ActorKind
from medspa.core.errors import PermissionDenied
from medspa.core.permissions import PERMISSIONS, PORTAL_PERMISSIONS, permissions_for

if TYPE_CHECKING:
    from medspa.core.models import Clinic


@dataclass(frozen=True)
class Actor:
    kind: str
    clinic: Clinic | None
    user: Any = None
    role: str = ""
    permissions: frozenset[str] = field(default_factory=frozenset)
    patient_id: str | None = None
    label: str = ""

    @classmethod
    def staff(cls, *, user: Any, clinic: Clinic, role: str) -> Actor:
        return cls(
            kind=ActorKind.STAFF,
            clinic=clinic,
            user=user,
            role=role,
            permissions=permissions_for(role),
            label=user.email,
        )

    @classmethod
    def system(cls, *, clinic: Clinic | None, label: str = "system") -> Actor:
        """The platform itself (jobs, commands); holds every permission within its clinic."""
        return cls(kind=ActorKind.SYSTEM, clinic=clinic, permissions=frozenset(PERMISSIONS), label=label)

    @classmethod
    def patient(cls, *, clinic: Clinic, patient_id: str, label: str = "patient") -> Actor:
        """A patient acting through a capability link; holds no staff permission."""
        return cls(kind=ActorKind.PATIENT, clinic=clinic, patient_id=patient_id, label=label)

    @classmethod
    def portal(cls, *, clinic: Clinic, patient_id: str | None = None, label: str = "online booking") -> Actor:
        """Someone on the clinic's public booking portal (or holding its manage link for
        `patient_id`): may read the public menu and hold and book times; nothing else."""
        return cls(
            kind=ActorKind.PATIENT if patient_id else ActorKind.ANONYMOUS,
            clinic=clinic,
            permissions=PORTAL_PERMISSIONS,
            patient_id=str(patient_id) if patient_id else None,
            label=label,
        )

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(kind=ActorKind.ANONYMOUS, clinic=None, label="anonymous")

    @property
    def user_id(self) -> str:
        return str(self.user.pk) if self.user is not None else ""

    @property
    def clinic_id(self):
        return self.clinic.pk if self.clinic is not None else None

    def can(self, permission: str) -> bool:
        if permission not in PERMISSIONS:
            raise ValueError(f"Unknown permission {permission!r}")
        return permission in self.permissions

    def require(self, permission: str) -> None:
        """Raise `PermissionDenied` unless this actor holds `permission` in its clinic."""
        if not self.can(permission) or self.clinic is None:
            raise PermissionDenied(permission=permission)
