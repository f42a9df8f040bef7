"""Writes of charting: templates, how services are charted, charts from draft to locked,
signatures, returns, amendments. One transaction per call, permission first, audited.

Rules every function keeps:
- only the chart's provider (or an owner/admin) edits a draft; the medical director never
  creates, edits or deletes anything — only signs, returns and asks;
- once signed, content never changes (the database refuses too); corrections are
  amendments, themselves signed;
- signing needs the signer's password at that moment (SIG-2) and binds the canonical
  content by SHA-256 (`medspa.charting.signing`).
"""

from medspa.charting.services.charts import (
    Opened,
    chart_create,
    chart_delete,
    chart_guard_acknowledge,
    chart_open_for_appointment,
    chart_save,
)
from medspa.charting.services.signatures import (
    chart_amend,
    chart_lock,
    chart_md_sign,
    chart_reply,
    chart_request_info,
    chart_return,
    chart_sign,
    charts_sign_many,
)
from medspa.charting.services.templates import (
    clinic_settings_update,
    service_settings_update,
    template_create,
    template_library_install,
    template_set_active,
    template_update,
)

__all__ = [
    "Opened",
    "chart_amend",
    "chart_create",
    "chart_delete",
    "chart_guard_acknowledge",
    "chart_lock",
    "chart_md_sign",
    "chart_open_for_appointment",
    "chart_reply",
    "chart_request_info",
    "chart_return",
    "chart_save",
    "chart_sign",
    "charts_sign_many",
    "clinic_settings_update",
    "service_settings_update",
    "template_create",
    "template_library_install",
    "template_set_active",
    "template_update",
]
