"""Who may do what: the one table of roles and the permission names each role holds.

Services call `actor.require(<permission>)`; views and templates ask `actor.can(...)` only
to shape the UI. A permission not in this table does not exist (`require` refuses unknown
names so a typo cannot silently allow or deny).
"""

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    PROVIDER = "provider", "Provider"
    FRONT_DESK = "front_desk", "Front desk"
    BILLING = "billing", "Billing"
    MEDICAL_DIRECTOR = "medical_director", "Medical director"
    READ_ONLY = "read_only", "Read only"


# Every permission in the product, with what it allows.
PERMISSIONS: dict[str, str] = {
    # Patients
    "patients.view": "See patient demographics, safety alerts and allergies",
    "patients.edit": "Create and edit patient demographics",
    "patients.view_clinical": "See medications, medical history and clinical notes",
    "patients.merge": "Merge duplicate patient records",
    # Scheduling
    "scheduling.view": "See the whole clinic calendar",
    "scheduling.view_own": "See one's own calendar",
    "scheduling.book": "Book, move and cancel any appointment",
    "scheduling.book_own": "Book, move and cancel one's own appointments",
    "scheduling.manage": "Edit provider schedules",
    # Service catalog
    "catalog.view": "See the service menu, rooms, equipment and tax rates",
    "catalog.manage": "Edit services, categories, rooms, equipment and tax rates",
    # Charting
    "charting.view": "Read charts",
    "charting.edit": "Create and edit one's own draft charts",
    "charting.sign": "Sign one's own charts as the treating provider",
    "charting.sign_md": "Co-sign charts as medical director",
    "charting.amend": "Add amendments to signed charts",
    "charting.templates": "Build and edit chart templates and how each service is charted",
    # Clinical photos
    "photos.view": "See clinical photos",
    "photos.upload": "Upload clinical photos",
    "photos.annotate": "Annotate clinical photos",
    "photos.export": "Download and export clinical photos",
    "photos.delete": "Delete clinical photos that no signed chart holds",
    # Consents and forms
    "consents.view": "See which forms and consents a patient has completed",
    "consents.send": "Send forms and consents to patients",
    "consents.manage": "Build and publish forms and consents",
    # Billing
    "billing.view": "See invoices and payments",
    "billing.invoice": "Create and edit invoices",
    "billing.payment": "Take payments",
    "billing.refund": "Refund payments",
    "billing.void": "Void invoices",
    "billing.discount_override": "Apply discounts above the clinic threshold",
    # Packages, memberships, gift cards
    "packages.view": "See packages, memberships and gift cards",
    "packages.sell": "Sell and redeem packages, memberships and gift cards",
    "packages.manage": "Define packages and memberships; adjust balances",
    # Inventory
    "inventory.view": "See products, lots and stock",
    "inventory.manage": "Receive, adjust and recall stock",
    # Messaging
    "messaging.view": "Read patient conversations",
    "messaging.send": "Send messages to patients",
    "messaging.manage": "Edit message templates, reminders and campaigns",
    # Reports
    "reports.operational": "See operational reports",
    "reports.financial": "See financial reports",
    # Administration
    "settings.manage": "Edit clinic settings and locations",
    "users.manage": "Invite staff, change roles and deactivate accounts",
    "users.reset_mfa": "Reset a staff member's two-factor authentication (owner only)",
    "audit.view": "Browse the audit log",
    # Patient-facing capabilities (never a staff role's)
    "booking.portal": "Hold and book times for oneself through the clinic's public booking portal",
}
# Held only by actors of the public booking portal, never by a staff role.
PORTAL_PERMISSIONS = frozenset({"booking.portal", "catalog.view"})
PATIENT_ONLY = frozenset({"booking.portal"})

_CLINICAL_WORK = {
    "patients.view",
    "patients.edit",
    "patients.view_clinical",
    "scheduling.view_own",
    "scheduling.book_own",
    "catalog.view",
    "charting.view",
    "charting.edit",
    "charting.sign",
    "charting.amend",
    "photos.view",
    "photos.upload",
    "photos.annotate",
    "photos.export",
    "photos.delete",
    "consents.view",
    "consents.send",
    "billing.view",
    "billing.invoice",
    "billing.payment",
    "packages.view",
    "packages.sell",
    "inventory.view",
    "messaging.view",
    "messaging.send",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(PERMISSIONS) - PATIENT_ONLY,
    Role.ADMIN: frozenset(PERMISSIONS) - PATIENT_ONLY - {"users.reset_mfa"},
    Role.PROVIDER: frozenset(_CLINICAL_WORK),
    Role.FRONT_DESK: frozenset(
        {
            "patients.view",
            "patients.edit",
            "scheduling.view",
            "scheduling.book",
            "catalog.view",
            "consents.view",
            "consents.send",
            "billing.view",
            "billing.invoice",
            "billing.payment",
            "packages.view",
            "packages.sell",
            "inventory.view",
            "messaging.view",
            "messaging.send",
            "reports.operational",
        }
    ),
    Role.BILLING: frozenset(
        {
            "patients.view",
            "scheduling.view",
            "catalog.view",
            "billing.view",
            "billing.invoice",
            "billing.payment",
            "billing.refund",
            "billing.void",
            "billing.discount_override",
            "packages.view",
            "packages.sell",
            "packages.manage",
            "reports.operational",
            "reports.financial",
        }
    ),
    Role.MEDICAL_DIRECTOR: frozenset(
        {
            "patients.view",
            "patients.view_clinical",
            "scheduling.view",
            "catalog.view",
            "charting.view",
            "charting.sign_md",
            "photos.view",
            "consents.view",
            "reports.operational",
        }
    ),
    Role.READ_ONLY: frozenset({"patients.view", "scheduling.view", "catalog.view", "reports.operational"}),
}


def permissions_for(role: str) -> frozenset[str]:
    """The permission names a role holds; an unknown role holds none."""
    return ROLE_PERMISSIONS.get(role, frozenset())


def is_known(permission: str) -> bool:
    return permission in PERMISSIONS
