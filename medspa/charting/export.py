"""The printable PDF of a signed chart (decision 0017).

What a chart is when it leaves the system on paper: the patient, the treatment, every
template section with its answers, the products with their lots, the injection points and
their totals, the photos' thumbnails with their file hashes, then the signature manifest
(who signed what, when, meaning what, binding which content hash) and the amendments in
order. Every page carries the chart id and the SHA-256 of the content it prints, so a
page that lost its neighbours still says which record it belongs to.

fpdf2 writes the file; the font (Source Sans Pro, SIL OFL) comes from its PyPI package,
so any name a patient has in Latin, Greek or Cyrillic script renders as typed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import font_source_sans_pro
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from medspa.charting import selectors
from medspa.charting.choices import (
    SIGNED_STATES,
    Depth,
    FieldType,
    Instrument,
    ProductType,
    ProductUnit,
    SignatureKind,
    Technique,
)
from medspa.charting.library import template_fields
from medspa.charting.models import Chart, ChartSignature
from medspa.charting.presentation import answer_text, zone_label
from medspa.charting.signing import chart_document, chart_row, sha256
from medspa.core import files
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict
from medspa.core.models import Location
from medspa.core.permissions import Role
from medspa.patients import selectors as patient_selectors
from medspa.photos import selectors as photo_selectors
from medspa.photos.choices import PhotoPhase, ViewAngle

FONT = "SourceSans"
FONT_FILES = {
    "": font_source_sans_pro.font_files_ttf["SourceSansPro"],
    "B": font_source_sans_pro.font_files_ttf["SourceSansProBold"],
    "I": font_source_sans_pro.font_files_ttf["SourceSansProIt"],
}
# Countries that print on US Letter; everyone else gets A4.
LETTER_COUNTRIES = frozenset({"US", "CA", "MX", "PH", "CL", "CO", "VE", "GT", "CR", "PA", "DO", "PR"})
MARGIN = 15  # mm
THUMB_MM = 40
SIGNATURE_MM = 14
THUMBS_PER_ROW = 4
TEXT = 9.5
SMALL = 8
TINY = 7
INK = (17, 24, 39)
# Swapped for the page count by fpdf2; chart text could only collide by typing this exact token.
PAGES_ALIAS = "{medspa:page-count}"
_HEADINGS = FontFace(family=FONT, emphasis="BOLD", fill_color=(243, 244, 246))


def _label(choices, value: str) -> str:
    return dict(choices.choices).get(value, value or "")


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if moment else ""


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else ""


def _answer_or_dash(field: dict, value) -> str:
    return answer_text(field, value) or "—"


def _amount(row: dict) -> str:
    if not row.get("quantity"):
        return ""
    return f"{row['quantity']} {_label(ProductUnit, row.get('unit', ''))}".strip()


def page_format(clinic) -> str:
    """Letter where the clinic's first location prints on Letter, else A4."""
    country = (
        Location.objects.filter(clinic=clinic, is_active=True)
        .order_by("name")
        .values_list("country", flat=True)
        .first()
    )
    return "letter" if (country or "US").upper() in LETTER_COUNTRIES else "A4"


class ChartDocument(FPDF):
    """An FPDF with the chart's font and a few layout helpers (headings, label/value lines,
    tables) and the chart's footer on every page."""

    def __init__(self, *, page_size: str, footer_text: str = "") -> None:
        super().__init__(orientation="portrait", unit="mm", format=page_size)
        # "page N of M": fpdf2 swaps the alias for the page count when the file is written.
        self.alias_nb_pages(PAGES_ALIAS)
        self.footer_text = footer_text
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 6)
        for style, path in FONT_FILES.items():
            self.add_font(FONT, style, path)
        self.set_font(FONT, "", TEXT)
        self.set_creator("Medspa")
        self.set_text_color(*INK)

    def heading(self, text: str, *, level: int = 1) -> None:
        size = {1: 13, 2: 11, 3: 10}[level]
        if self.will_page_break(size + 12):
            self.add_page()
        self.ln(3 if level == 1 else 1.5)
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if level == 1:
            y = self.get_y() + 0.5
            self.set_draw_color(156, 163, 175)
            self.line(self.l_margin, y, self.w - self.r_margin, y)
            self.ln(2)
        self.set_font(FONT, "", TEXT)

    def field(self, label: str, value: str, *, label_width: float = 52, size: float = TEXT) -> None:
        """One bold label and its (wrapping) value beside it."""
        height = size * 0.5
        self.set_font(FONT, "B", size)
        label_lines = self.multi_cell(label_width, height, label, dry_run=True, output="LINES")
        self.set_font(FONT, "", size)
        value_lines = self.multi_cell(self.epw - label_width, height, value or "—", dry_run=True, output="LINES")
        if self.will_page_break(height * min(len(label_lines), len(value_lines), 3)):
            self.add_page()
        top, page = self.get_y(), self.page
        self.set_font(FONT, "B", size)
        self.multi_cell(label_width, height, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.set_font(FONT, "", size)
        self.set_xy(self.l_margin + label_width, top)
        self.multi_cell(0, height, value or "—", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if self.page == page and len(label_lines) > len(value_lines):
            self.set_y(top + height * len(label_lines))
        self.set_font(FONT, "", TEXT)

    def paragraph(self, text: str, *, size: float = TEXT, style: str = "") -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(0, size * 0.5, text or "—", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", TEXT)

    def grid(self, headings: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[int, ...]) -> None:
        """A bordered table with a heading row repeated on each page it spans."""
        self.set_font(FONT, "", SMALL)
        self.set_draw_color(209, 213, 219)
        with self.table(
            col_widths=widths,
            line_height=SMALL * 0.5,
            text_align="LEFT",
            headings_style=_HEADINGS,
            repeat_headings=1,
            padding=0.8,
        ) as table:
            table.row(headings)
            for row in rows:
                table.row([cell or "" for cell in row])
        self.set_font(FONT, "", TEXT)
        self.ln(2)

    def footer(self) -> None:
        if not self.footer_text:
            return
        self.set_y(-MARGIN + 2)
        self.set_font(FONT, "", TINY)
        self.set_text_color(75, 85, 99)
        self.cell(0, 3, self.footer_text.format(page=self.page_no(), pages=PAGES_ALIAS))
        self.set_text_color(*INK)


@dataclass(frozen=True)
class _Photo:
    label: str
    sha256: str
    image: bytes | None


def _photos(*, actor: Actor, chart: Chart) -> list[_Photo]:
    """The chart's photos with their thumbnails, for actors who may see photos."""
    if not actor.can("photos.view"):
        return []
    found = []
    for photo in photo_selectors.chart_photos(actor=actor, chart_id=chart.pk):
        try:
            image = files.read_bytes(photo.thumbnail)
        except (OSError, files.FileKeyError):
            image = None  # the manifest line still prints: a missing file is itself a finding
        label = f"{_label(ViewAngle, photo.angle)} · {_label(PhotoPhase, photo.phase)}"
        found.append(_Photo(label=label, sha256=photo.file.sha256, image=image))
    return found


def _cover(pdf: ChartDocument, *, actor: Actor, chart: Chart, patient, zone: ZoneInfo) -> None:
    version = chart.template_version
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 7, actor.clinic.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 11)
    pdf.multi_cell(0, 5.5, f"Treatment record — {version.template.name}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.heading("Patient and treatment")
    pdf.field("Patient", patient.display_name)
    if patient.preferred_name and patient.preferred_name != patient.first_name:
        pdf.field("Legal name", f"{patient.first_name} {patient.last_name}".strip())
    pdf.field("Date of birth", patient.date_of_birth.isoformat() if patient.date_of_birth else "—")
    pdf.field("Service", chart.service.name if chart.service_id else "—")
    pdf.field("Provider", chart.provider.full_name)
    pdf.field("Treatment date", _local(chart.treated_at, zone))
    pdf.field("Template", f"{version.template.name}, version {version.number}")
    pdf.field("Status", chart.get_status_display())
    pdf.field("Chart id", str(chart.pk), size=SMALL)

    pdf.heading("Allergies and alerts")
    allergies = list(patient.allergies.all())
    alerts = [str(a) for a in (patient.medical_alerts or [])]
    if not allergies and not alerts:
        pdf.paragraph("No known allergies or alerts recorded.", style="I")
    for alert in alerts:
        pdf.field("Alert", alert)
    for allergy in allergies:
        detail = ", ".join(p for p in (allergy.reaction, allergy.get_severity_display()) if p)
        pdf.field("Allergy", f"{allergy.substance}" + (f" ({detail})" if detail else ""))


def _products(pdf: ChartDocument, rows: list[dict], *, totals: dict | None = None) -> None:
    if not rows:
        pdf.paragraph("No products recorded.", style="I")
        return
    injected = {p["id"]: p["injected_units"] for p in (totals or {}).get("products", [])}
    pdf.grid(
        ("Product", "Brand", "Type", "Lot", "Expiry", "Amount", "Dilution"),
        [
            (
                row["name"],
                row.get("brand", ""),
                _label(ProductType, row.get("product_type", "")),
                row.get("lot_number", ""),
                row.get("expiry_date", ""),
                _amount(row),
                row.get("dilution", ""),
            )
            for row in rows
        ],
        (34, 24, 22, 22, 20, 20, 38),
    )
    if totals and any(v not in ("0", "") for v in injected.values()):
        pdf.set_font(FONT, "B", SMALL)
        pdf.multi_cell(0, 4, "Injected by product", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.grid(
            ("Product", "Recorded amount", "Injected units"),
            [(row["name"], _amount(row), injected.get(row["id"], "0")) for row in rows],
            (80, 50, 50),
        )


def _injections(pdf: ChartDocument, content: dict, totals: dict) -> None:
    rows = content.get("injections", [])
    if not rows:
        pdf.paragraph("No injection points recorded.", style="I")
        return
    names = {p["id"]: p["name"] for p in content.get("products", [])}
    pdf.grid(
        ("Zone", "Units", "Product", "Depth", "Technique", "Instrument"),
        [
            (
                zone_label(row["zone"], row.get("label", "")),
                row["units"],
                names.get(row.get("product_id") or "", ""),
                _label(Depth, row.get("depth", "")),
                _label(Technique, row.get("technique", "")),
                _label(Instrument, row.get("instrument", "")) + (f" ({row['needle']})" if row.get("needle") else ""),
            )
            for row in rows
        ],
        (44, 14, 38, 30, 28, 26),
    )
    pdf.set_font(FONT, "B", SMALL)
    pdf.multi_cell(0, 4, "Totals by zone", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.grid(
        ("Zone", "Units"),
        [
            *((zone_label(zone, zone), units) for zone, units in totals["by_zone"].items()),
            ("Total", totals["total_units"]),
        ],
        (80, 30),
    )


def _sections(pdf: ChartDocument, *, chart: Chart, totals: dict, photo_count: int | None) -> None:
    content = chart.content or {}
    answers = content.get("fields", {})
    kinds = {f["type"] for f in template_fields(chart.template_version.sections)}
    for section in chart.template_version.sections:
        pdf.heading(section.get("title") or "Section")
        for field in section["fields"]:
            kind = field["type"]
            if kind == FieldType.PRODUCTS:
                pdf.heading(field["label"], level=3)
                _products(pdf, content.get("products", []), totals=totals)
            elif kind == FieldType.FACE_CHART:
                pdf.heading(field["label"], level=3)
                _injections(pdf, content, totals)
            elif kind == FieldType.PHOTOS:
                count = "" if photo_count is None else f"{photo_count} on this chart — "
                pdf.field(field["label"], f"{count}see Photos")
            elif kind == FieldType.SIGNATURE:
                pdf.field(field["label"], "See the signature manifest")
            else:
                pdf.field(field["label"], _answer_or_dash(field, answers.get(field["key"])))
    # Rows the template has no place for are still part of the record: print them too.
    if content.get("products") and FieldType.PRODUCTS not in kinds:
        pdf.heading("Products used")
        _products(pdf, content["products"], totals=totals)
    if content.get("injections") and FieldType.FACE_CHART not in kinds:
        pdf.heading("Injection sites")
        _injections(pdf, content, totals)
    pdf.heading("Aftercare")
    pdf.paragraph(content.get("aftercare") or "—")
    pdf.heading("Notes")
    pdf.paragraph(content.get("notes") or "—")


def _photo_grid(pdf: ChartDocument, photos: list[_Photo], *, may_view: bool) -> None:
    pdf.heading("Photos")
    if not may_view:
        pdf.paragraph("Photos are not included: your role does not allow seeing clinical photos.", style="I")
        return
    if not photos:
        pdf.paragraph("No photos on this chart.", style="I")
        return
    gap = (pdf.epw - THUMBS_PER_ROW * THUMB_MM) / (THUMBS_PER_ROW - 1)
    row_height = THUMB_MM + 10
    for start in range(0, len(photos), THUMBS_PER_ROW):
        if pdf.will_page_break(row_height):
            pdf.add_page()
        top = pdf.get_y()
        for column, photo in enumerate(photos[start : start + THUMBS_PER_ROW]):
            x = pdf.l_margin + column * (THUMB_MM + gap)
            if photo.image is not None:
                pdf.image(io.BytesIO(photo.image), x=x, y=top, w=THUMB_MM, h=THUMB_MM, keep_aspect_ratio=True)
            else:
                pdf.set_xy(x, top + THUMB_MM / 2 - 2)
                pdf.set_font(FONT, "I", SMALL)
                pdf.cell(THUMB_MM, 4, "Thumbnail unavailable", align="C")
            pdf.set_xy(x, top + THUMB_MM + 1)
            pdf.set_font(FONT, "", TINY)
            pdf.multi_cell(THUMB_MM, 3.2, f"{photo.label}\nSHA-256 {photo.sha256[:16]}…", align="L")
        pdf.set_y(top + row_height)
    pdf.set_font(FONT, "", TEXT)


def _role(value: str) -> str:
    return dict(Role.choices).get(value, value)


def _manifest(
    pdf: ChartDocument, *, chart: Chart, signatures: list[ChartSignature], content_hash: str, numbers
) -> None:
    pdf.heading("Signature manifest")
    pdf.paragraph(
        "Each signature binds the SHA-256 of the chart's canonical content (or, for an amendment, of the "
        "amendment); its signature hash chains that with the signer, time, meaning and chart id.",
        size=SMALL,
        style="I",
    )
    pdf.field("Content SHA-256", content_hash, size=SMALL)
    pdf.ln(1)
    if not signatures:
        pdf.paragraph("No signatures.", style="I")
    binding = {chart.provider_signature_id, chart.md_signature_id} - {None}
    for number, signature in enumerate(signatures, start=1):
        kind = _label(SignatureKind, signature.kind)
        if signature.kind == SignatureKind.AMENDMENT:
            kind = f"{kind} {numbers.get(signature.amendment_id, '')}".strip()
            state = "Binds the amendment"
        elif signature.pk in binding:
            state = "In force" if signature.content_hash == content_hash else "CONTENT HASH DOES NOT MATCH THIS CHART"
        else:
            state = "Superseded (the chart was returned to draft after this signature)"
        pdf.heading(f"{number}. {kind} — {signature.signer_name}", level=3)
        pdf.field("Role", _role(signature.signer_role), size=SMALL)
        pdf.field("Meaning", signature.meaning, size=SMALL)
        pdf.field("Signed at", _utc(signature.signed_at), size=SMALL)
        pdf.field("Content hash", signature.content_hash, size=SMALL)
        pdf.field("Signature hash", signature.signature_hash, size=SMALL)
        pdf.field("State", state, size=SMALL)
        if signature.image_id:
            _drawn_signature(pdf, signature)
        if signature.override_reason:
            pdf.field("Signed with missing items", signature.override_reason, size=SMALL)
            if signature.missing:
                pdf.field("Missing", ", ".join(str(m) for m in signature.missing), size=SMALL)


def _drawn_signature(pdf: ChartDocument, signature: ChartSignature) -> None:
    """The signer's drawn signature under their manifest entry (when one was drawn)."""
    try:
        data = files.read_bytes(signature.image)
    except (files.FileKeyError, OSError):
        pdf.field("Drawn signature", "stored image unreadable", size=SMALL)
        return
    if pdf.will_page_break(SIGNATURE_MM + 2):
        pdf.add_page()
    pdf.image(io.BytesIO(data), x=pdf.l_margin, y=pdf.get_y() + 1, h=SIGNATURE_MM, keep_aspect_ratio=True)
    pdf.ln(SIGNATURE_MM + 2)


def _amendments(pdf: ChartDocument, amendments, zone: ZoneInfo) -> None:
    pdf.heading("Amendments")
    if not amendments:
        pdf.paragraph("No amendments.", style="I")
        return
    for amendment in amendments:
        pdf.heading(f"Amendment {amendment.number} — {amendment.reason}", level=3)
        pdf.field("Author", amendment.author.full_name, size=SMALL)
        pdf.field("Time", f"{_local(amendment.created_at, zone)} ({_utc(amendment.created_at)})", size=SMALL)
        pdf.field("Text", amendment.text or "—", size=SMALL)
        if amendment.product_corrections:
            pdf.set_font(FONT, "B", SMALL)
            pdf.multi_cell(0, 4, "Corrected products", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            _products(pdf, amendment.product_corrections)


def pdf_filename(chart: Chart, zone: ZoneInfo) -> str:
    day = chart.treated_at.astimezone(zone).date().isoformat()
    return files.sanitize_filename(f"chart-{day}-{chart.patient.last_name}", "pdf")


def chart_pdf(*, actor: Actor, chart_id) -> tuple[bytes, str]:
    """The printable PDF of a signed chart and its file name (requires `charting.view`;
    photos only for actors with `photos.view`). Refuses a draft (409): only a signed record
    leaves the system. Another clinic's chart is 404. The export is audited
    (`chart.exported`, via pdf) once the document is built; a refused export writes nothing.
    Slow work (fonts, images): call it outside a transaction."""
    chart = selectors.chart_get(actor=actor, chart_id=chart_id, audit="")
    if chart.status not in SIGNED_STATES:
        raise Conflict("Only a signed chart is exported.", code="chart_not_signed")
    zone = ZoneInfo(actor.clinic.timezone or "UTC")
    patient = patient_selectors.patient_get(actor=actor, patient_id=chart.patient_id)
    signatures = selectors.chart_signatures(chart=chart)
    amendments = selectors.chart_amendments(chart=chart)
    totals = selectors.chart_totals(chart=chart)
    photos = _photos(actor=actor, chart=chart)
    content_hash = sha256(chart_document(chart_row(chart)))

    footer = f"Chart {chart.pk} · page {{page}} of {{pages}} · content SHA-256 {content_hash}"
    pdf = ChartDocument(page_size=page_format(actor.clinic), footer_text=footer)
    pdf.set_title(f"Chart {chart.pk}")
    pdf.set_author(actor.clinic.name)
    pdf.set_subject(f"{chart.template_version.template.name} — {patient.display_name}")
    pdf.add_page()
    _cover(pdf, actor=actor, chart=chart, patient=patient, zone=zone)
    may_see_photos = actor.can("photos.view")
    _sections(pdf, chart=chart, totals=totals, photo_count=len(photos) if may_see_photos else None)
    _photo_grid(pdf, photos, may_view=may_see_photos)
    _manifest(
        pdf,
        chart=chart,
        signatures=signatures,
        content_hash=content_hash,
        numbers={a.pk: a.number for a in amendments},
    )
    _amendments(pdf, amendments, zone)
    data = bytes(pdf.output())

    audit_record(
        action="chart.exported",
        actor=actor,
        obj=chart,
        patient_id=str(chart.patient_id),
        changes={"via": "pdf", "photos": len(photos)},
    )
    return data, pdf_filename(chart, zone)
