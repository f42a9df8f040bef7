"""The product's sections as the sidebar shows them, with the permissions that open each."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    url_name: str
    icon: str
    any_of: tuple[str, ...]
    built: bool = False
    blurb: str = ""


SECTIONS: tuple[Section, ...] = (
    Section(
        "today",
        "Today",
        "scheduling_today",
        "sun",
        ("scheduling.view", "scheduling.view_own"),
        built=True,
        blurb="Arrivals, rooms in use and what needs attention, at a glance.",
    ),
    Section(
        "calendar",
        "Calendar",
        "scheduling_calendar",
        "calendar",
        ("scheduling.view", "scheduling.view_own"),
        built=True,
        blurb="Book, move and check in appointments across providers and rooms.",
    ),
    Section(
        "waitlist",
        "Waitlist",
        "scheduling_waitlist",
        "clock",
        ("scheduling.view",),
        built=True,
        blurb="Patients waiting for an earlier time, and the openings offered to them.",
    ),
    Section(
        "patients",
        "Patients",
        "patients_list",
        "users",
        ("patients.view",),
        built=True,
        blurb="Profiles, families, alerts and every visit in one timeline.",
    ),
    Section(
        "charts",
        "Charts",
        "section_charts",
        "clipboard",
        ("charting.view",),
        blurb="Treatment notes, face charts, photos and medical-director sign-off.",
    ),
    Section(
        "messages",
        "Messages",
        "section_messages",
        "chat",
        ("messaging.view",),
        blurb="Two-way texting and email with patients, reminders and campaigns.",
    ),
    Section(
        "checkout",
        "Checkout",
        "section_checkout",
        "card",
        ("billing.view",),
        blurb="Invoices from the visit, split payments, tips and daily close-out.",
    ),
    Section(
        "packages",
        "Packages",
        "section_packages",
        "gift",
        ("packages.view",),
        blurb="Packages, memberships and gift cards with their balances.",
    ),
    Section(
        "inventory",
        "Inventory",
        "section_inventory",
        "box",
        ("inventory.view",),
        blurb="Products, lots and expiry, stock counts and recalls.",
    ),
    Section(
        "reports",
        "Reports",
        "section_reports",
        "chart",
        ("reports.operational", "reports.financial"),
        blurb="Revenue, utilisation, provider performance and retention.",
    ),
    Section(
        "settings",
        "Settings",
        "settings_clinic",
        "cog",
        ("settings.manage", "users.manage", "audit.view", "catalog.view", "scheduling.manage", "scheduling.view_own"),
        built=True,
    ),
)

# Settings has several pages with different permissions: open the first one allowed.
SETTINGS_PAGES = (
    ("settings.manage", "settings_clinic"),
    ("users.manage", "settings_staff"),
    ("audit.view", "settings_audit"),
    ("catalog.view", "settings_services"),
    ("scheduling.manage", "settings_schedules"),
    ("scheduling.view", "settings_schedules"),
    ("scheduling.view_own", "settings_schedules"),
)


def section_url_name(section: Section, actor) -> str:
    if section.key == "settings":
        return next(name for permission, name in SETTINGS_PAGES if actor.can(permission))
    return section.url_name


SECTIONS_BY_KEY = {s.key: s for s in SECTIONS}


def visible_sections(actor) -> list[Section]:
    """The sections this actor may open, in sidebar order."""
    if actor is None:
        return []
    return [s for s in SECTIONS if any(actor.can(p) for p in s.any_of)]
