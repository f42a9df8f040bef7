"""What every charting service shares: permission names and who authors a chart."""

from __future__ import annotations

from medspa.charting.models import Chart
from medspa.core.actors import Actor
from medspa.core.permissions import Role

EDIT = "charting.edit"
SIGN = "charting.sign"
SIGN_MD = "charting.sign_md"
AMEND = "charting.amend"
TEMPLATES = "charting.templates"
MANAGERS = frozenset({Role.OWNER, Role.ADMIN})
DEFAULT_TEMPLATE = "soap-note"
MAX_REASON = 500


def may_author(actor: Actor, chart: Chart) -> bool:
    """The chart's provider, or an owner/admin, edits a draft."""
    return chart.provider_id == getattr(actor.user, "pk", None) or actor.role in MANAGERS
