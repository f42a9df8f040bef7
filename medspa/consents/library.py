"""The forms every clinic starts with. A clinic edits its copy; the library never changes a
clinic's published versions.

Each entry: name, kind, description, how long a completed form stays valid (`valid_days`,
None = until revoked), and the definition (see `medspa.consents.definition`).
"""

from __future__ import annotations

from medspa.consents.choices import FieldType, FormKind, PhotoPermission, ProfileTarget

T = FieldType
YES = {"op": "equals", "value": "yes"}


def f(key, label, kind=T.SHORT_TEXT, *, required=False, help="", text="", options=(), show_if=None, **extra):
    field = {
        "key": key,
        "label": label,
        "type": str(kind),
        "required": required,
        "help": help,
        "text": text,
        "options": list(options),
        "show_if": show_if,
    }
    field.update(extra)
    return field


def when(key, op="equals", value="yes"):
    return {"field": key, "op": op, "value": value}


def s(key, title, *fields, show_if=None):
    return {"key": key, "title": title, "show_if": show_if, "fields": list(fields)}


def _signature(label="Patient signature"):
    return s(
        "signature",
        "Signature",
        f("printed_name", "Printed name", required=True),
        f("signature", label, T.SIGNATURE, required=True),
    )


def _yes_detail(key, label, detail_label, **kw):
    return [
        f(key, label, T.YES_NO, required=True, **kw),
        f(f"{key}_detail", detail_label, T.LONG_TEXT, required=True, show_if=when(key)),
    ]


CONDITIONS = (
    "Autoimmune disease",
    "Bleeding or clotting disorder",
    "Cold sores (herpes simplex)",
    "Diabetes",
    "Epilepsy or seizures",
    "Heart condition",
    "High blood pressure",
    "Keloid or hypertrophic scarring",
    "Neuromuscular disease (e.g. myasthenia gravis, ALS)",
    "Skin cancer",
    "Thyroid disorder",
    "None of these",
)

MEDICAL_HISTORY = {
    "sections": [
        s(
            "about",
            "About you",
            f("date_of_birth", "Date of birth", T.DATE, required=True),
            f("occupation", "Occupation"),
            f("emergency_contact", "Emergency contact (name and phone)"),
            f("goals", "What would you like to improve?", T.LONG_TEXT),
        ),
        s(
            "health",
            "Your health",
            f(
                "conditions",
                "Do you have or have you had any of these?",
                T.CHECKBOX_LIST,
                options=CONDITIONS,
                required=True,
            ),
            f(
                "conditions_detail",
                "Tell us more about these conditions",
                T.LONG_TEXT,
                show_if={"not": when("conditions", "contains", "None of these")},
            ),
            *_yes_detail(
                "pregnant",
                "Are you pregnant, trying to conceive, or breastfeeding?",
                "Please give details (due date or weeks postpartum)",
            ),
            f(
                "pregnancy_note",
                "",
                T.NOTE,
                show_if=when("pregnant"),
                text="Most aesthetic injectables and many energy treatments are not performed during pregnancy or "
                "breastfeeding. Your provider will discuss alternatives with you.",
            ),
            *_yes_detail("smoker", "Do you smoke or vape?", "How much, and for how long?"),
            f("general_health", "How would you rate your general health?", T.SCALE, min=1, max=10),
        ),
        s(
            "medications",
            "Medications and allergies",
            *_yes_detail("takes_medications", "Do you take any medications or supplements?", "List them with doses"),
            f(
                "blood_thinners",
                "Do you take blood thinners, aspirin, ibuprofen, fish oil or vitamin E?",
                T.YES_NO,
                required=True,
            ),
            f("isotretinoin", "Have you taken isotretinoin (Accutane) in the last 12 months?", T.YES_NO, required=True),
            *_yes_detail(
                "has_allergies",
                "Do you have any allergies (medications, latex, lidocaine, food)?",
                "List each allergy and the reaction",
            ),
        ),
        s(
            "cosmetic",
            "Previous cosmetic treatments",
            f(
                "prior_treatments",
                "Which have you had before?",
                T.CHECKBOX_LIST,
                options=(
                    "Neurotoxin",
                    "Dermal filler",
                    "Laser or IPL",
                    "Chemical peel",
                    "Microneedling",
                    "Thread lift",
                    "Cosmetic surgery",
                    "None",
                ),
            ),
            f(
                "prior_detail",
                "When, where, and how did it go?",
                T.LONG_TEXT,
                show_if={
                    "all": [
                        when("prior_treatments", "answered", None),
                        {"not": when("prior_treatments", "contains", "None")},
                    ]
                },
            ),
            *_yes_detail(
                "prior_reaction", "Have you ever had a bad reaction to a cosmetic treatment?", "Describe what happened"
            ),
        ),
        s(
            "confirm",
            "Confirmation",
            f(
                "accurate",
                "Accuracy",
                T.ACKNOWLEDGEMENT,
                required=True,
                text="The information I have given is complete and accurate to the best of my knowledge. I will "
                "tell the clinic of any change to my health or medications before my next treatment.",
            ),
        ),
        _signature(),
    ]
}
# Detail answers of medications and allergies offer to update the profile (staff confirms).
for _field in MEDICAL_HISTORY["sections"][2]["fields"]:
    if _field["key"] == "takes_medications_detail":
        _field["profile"] = ProfileTarget.MEDICATIONS
    if _field["key"] == "has_allergies_detail":
        _field["profile"] = ProfileTarget.ALLERGIES

FITZ_QUESTIONS = (
    (
        "eye_colour",
        "What is your natural eye colour?",
        ("Light blue, grey or green", "Blue, grey or green", "Blue", "Dark brown", "Brownish black"),
    ),
    (
        "hair_colour",
        "What is your natural hair colour?",
        ("Sandy red", "Blond", "Chestnut or dark blond", "Dark brown", "Black"),
    ),
    (
        "skin_colour",
        "What is your skin colour where it is not exposed to the sun?",
        ("Reddish", "Very pale", "Pale with a beige tint", "Light brown", "Dark brown"),
    ),
    ("freckles", "Do you have freckles on unexposed areas?", ("Many", "Several", "A few", "Incidental", "None")),
    (
        "sun_burn",
        "What happens when you stay in the sun too long?",
        (
            "Painful redness, blistering, peeling",
            "Blistering followed by peeling",
            "Burns sometimes, then peels",
            "Rarely burns",
            "Never burns",
        ),
    ),
    (
        "tan",
        "To what degree do you turn brown?",
        ("Hardly or not at all", "Light colour tan", "Reasonable tan", "Tan very easily", "Turn dark brown quickly"),
    ),
)
FITZPATRICK = {
    "sections": [
        s(
            "skin",
            "Your skin and the sun",
            *(f(key, label, T.SINGLE_CHOICE, required=True, options=options) for key, label, options in FITZ_QUESTIONS),
        ),
    ],
    "scoring": [
        {
            "key": "fitzpatrick",
            "label": "Fitzpatrick skin type",
            "points": {key: [0, 1, 2, 3, 4] for key, _label, _options in FITZ_QUESTIONS},
            "bands": [
                {"upto": 4, "result": "I"},
                {"upto": 9, "result": "II"},
                {"upto": 14, "result": "III"},
                {"upto": 18, "result": "IV"},
                {"upto": 21, "result": "V"},
                {"upto": 24, "result": "VI"},
            ],
            "profile": ProfileTarget.SKIN_TYPE,
        }
    ],
}

STOP = "Your provider will review this answer with you before treatment."


def _screening(product: str, extra: list[dict]) -> dict:
    return {
        "sections": [
            s(
                "screening",
                f"Before your {product} treatment",
                f("pregnant", "Are you pregnant or breastfeeding?", T.YES_NO, required=True),
                f(
                    "pregnant_note",
                    "",
                    T.NOTE,
                    show_if=when("pregnant"),
                    text=f"{product.capitalize()} treatment is not performed during pregnancy or breastfeeding.",
                ),
                f(
                    "infection",
                    "Do you have an active infection, cold sore or rash in the treatment area?",
                    T.YES_NO,
                    required=True,
                ),
                f("infection_note", "", T.NOTE, show_if=when("infection"), text=STOP),
                *extra,
                f("event_soon", "Do you have an important event in the next two weeks?", T.YES_NO),
                f("event_detail", "What and when?", show_if=when("event_soon")),
            ),
        ]
    }


NEUROTOXIN_SCREENING = _screening(
    "neurotoxin",
    [
        *_yes_detail(
            "neuromuscular",
            "Do you have a neuromuscular disorder (myasthenia gravis, ALS, Lambert-Eaton)?",
            "Which condition?",
        ),
        f("aminoglycosides", "Are you taking aminoglycoside antibiotics or muscle relaxants?", T.YES_NO, required=True),
        f("toxin_allergy", "Have you reacted to botulinum toxin or albumin before?", T.YES_NO, required=True),
        f(
            "last_toxin",
            "When was your last neurotoxin treatment?",
            T.SINGLE_CHOICE,
            options=("Never", "Under 3 months ago", "3–6 months ago", "Over 6 months ago"),
        ),
    ],
)
FILLER_SCREENING = _screening(
    "filler",
    [
        f(
            "hyaluronidase_allergy",
            "Are you allergic to hyaluronidase, lidocaine or bee stings?",
            T.YES_NO,
            required=True,
        ),
        f("autoimmune", "Do you have an autoimmune condition?", T.YES_NO, required=True),
        f(
            "dental",
            "Have you had or will you have dental work within two weeks of treatment?",
            T.YES_NO,
            required=True,
        ),
        f("prior_filler", "Do you have filler or implants in the area to be treated?", T.YES_NO, required=True),
        f("prior_filler_detail", "Which product and when?", show_if=when("prior_filler")),
    ],
)


def _consent(treatment: str, what: str, risks: str, alternatives: str) -> dict:
    return {
        "sections": [
            s(
                "consent",
                f"Consent for {treatment}",
                f("about", "", T.NOTE, text=what),
                f("risks", "Risks", T.ACKNOWLEDGEMENT, required=True, text=risks),
                f("alternatives", "Alternatives", T.ACKNOWLEDGEMENT, required=True, text=alternatives),
                f(
                    "results",
                    "Results",
                    T.ACKNOWLEDGEMENT,
                    required=True,
                    text="Results vary and are not guaranteed. More than one treatment may be needed, and "
                    "touch-ups may be charged.",
                ),
                f(
                    "questions",
                    "My questions were answered",
                    T.ACKNOWLEDGEMENT,
                    required=True,
                    text="I have had the chance to ask questions and all of them were answered to my satisfaction. "
                    "I consent to the treatment by the clinic's licensed provider.",
                ),
                f("initials", "Your initials", T.INITIALS, required=True),
            ),
            _signature(),
        ]
    }


NEUROTOXIN_CONSENT = _consent(
    "neurotoxin injections",
    "Botulinum toxin type A (Botox, Dysport, Xeomin, Daxxify) relaxes the muscles that cause lines. Effects "
    "appear in 3–14 days and usually last 3–4 months.",
    "I understand the risks include bruising, swelling, headache, temporary drooping of the eyelid or brow, "
    "asymmetry, and, rarely, spread of the toxin's effect. I will follow the aftercare instructions.",
    "I understand the alternatives include no treatment, dermal fillers, lasers and topical products.",
)
FILLER_CONSENT = _consent(
    "dermal filler",
    "Hyaluronic acid filler restores volume and contour. Results are immediate; swelling settles over two weeks.",
    "I understand the risks include bruising, swelling, lumps, infection, asymmetry, and rarely blockage of a "
    "blood vessel (vascular occlusion) which can cause skin damage or vision changes and needs urgent care.",
    "I understand the alternatives include no treatment, neurotoxin, biostimulators and surgery.",
)
LASER_CONSENT = _consent(
    "laser and IPL treatment",
    "Light-based treatment targets pigment, vessels or hair, or resurfaces the skin. Several sessions are usual.",
    "I understand the risks include redness, swelling, blistering, burns, changes in skin colour (darker or "
    "lighter), scarring and eye injury if protective eyewear is removed. I have avoided sun and tanning as "
    "instructed.",
    "I understand the alternatives include no treatment, chemical peels, microneedling and topical products.",
)
PEEL_CONSENT = _consent(
    "chemical peel",
    "A chemical solution removes damaged outer layers of skin. Peeling lasts 3–7 days depending on depth.",
    "I understand the risks include redness, stinging, prolonged peeling, cold sore outbreak, infection, changes "
    "in skin colour and, rarely, scarring. I have stopped retinoids as instructed.",
    "I understand the alternatives include no treatment, laser resurfacing, microneedling and topical products.",
)

PHOTO_RELEASE = {
    "sections": [
        s(
            "release",
            "Photographs of you",
            f(
                "about",
                "",
                T.NOTE,
                text="Clinical photographs are part of your medical record. Separately, you may allow the clinic to "
                "use them in other ways. Each permission below is your choice, and you can withdraw any of them "
                "at any time; withdrawing does not affect your care.",
            ),
            f(
                "clinical",
                "May we take clinical photographs for your record?",
                T.YES_NO,
                required=True,
                permission=PhotoPermission.CLINICAL,
            ),
            f(
                "marketing",
                "May we use your photos in marketing materials?",
                T.YES_NO,
                required=True,
                permission=PhotoPermission.MARKETING,
            ),
            f(
                "social_media",
                "May we post your photos on social media?",
                T.YES_NO,
                required=True,
                permission=PhotoPermission.SOCIAL_MEDIA,
            ),
            f(
                "gallery",
                "May we show your before/after photos in our gallery?",
                T.YES_NO,
                required=True,
                permission=PhotoPermission.GALLERY,
            ),
            f(
                "case_study",
                "May we use your photos for case studies and training?",
                T.YES_NO,
                required=True,
                permission=PhotoPermission.CASE_STUDY,
            ),
            f(
                "identify",
                "In published photos, may your face be identifiable?",
                T.YES_NO,
                show_if={"any": [when("marketing"), when("social_media"), when("gallery"), when("case_study")]},
            ),
        ),
        _signature(),
    ]
}

FINANCIAL_POLICY = {
    "sections": [
        s(
            "policy",
            "Cancellation and payment policy",
            f(
                "cancellation",
                "Cancellations",
                T.ACKNOWLEDGEMENT,
                required=True,
                text="I will give at least 24 hours' notice to cancel or reschedule. A late cancellation or missed "
                "appointment may be charged a fee, and deposits for missed appointments are not refunded.",
            ),
            f(
                "payment",
                "Payment",
                T.ACKNOWLEDGEMENT,
                required=True,
                text="Payment is due at the time of service. Cosmetic treatments are not covered by insurance.",
            ),
            f(
                "card_on_file",
                "Card on file",
                T.ACKNOWLEDGEMENT,
                required=True,
                text="I authorise the clinic to charge my card on file for fees under this policy, after telling me.",
            ),
        ),
        _signature(),
    ]
}

POST_CARE = {
    "sections": [
        s(
            "aftercare",
            "Aftercare",
            f(
                "instructions",
                "Aftercare instructions",
                T.ACKNOWLEDGEMENT,
                required=True,
                text="I received my aftercare instructions and will follow them. I will contact the clinic about "
                "any unexpected pain, skin colour change, vision change or signs of infection.",
            ),
        ),
        _signature(),
    ]
}

LIBRARY: dict[str, dict] = {
    "medical-history": {
        "name": "Medical history",
        "kind": FormKind.INTAKE,
        "valid_days": 365,
        "description": "Health, medications, allergies and previous treatments.",
        "definition": MEDICAL_HISTORY,
        "services": "*",
    },
    "fitzpatrick": {
        "name": "Fitzpatrick skin type",
        "kind": FormKind.ASSESSMENT,
        "valid_days": None,
        "description": "Six questions that give the skin type for light and peel treatments.",
        "definition": FITZPATRICK,
        "services": ("laser", "ipl", "peel"),
    },
    "neurotoxin-screening": {
        "name": "Neurotoxin screening",
        "kind": FormKind.ASSESSMENT,
        "valid_days": 30,
        "description": "Contraindications to check before neurotoxin.",
        "definition": NEUROTOXIN_SCREENING,
        "services": ("botox", "neurotoxin", "dysport", "xeomin", "toxin"),
    },
    "filler-screening": {
        "name": "Filler screening",
        "kind": FormKind.ASSESSMENT,
        "valid_days": 30,
        "description": "Contraindications to check before dermal filler.",
        "definition": FILLER_SCREENING,
        "services": ("filler",),
    },
    "neurotoxin-consent": {
        "name": "Neurotoxin consent",
        "kind": FormKind.CONSENT,
        "valid_days": 365,
        "description": "Informed consent for botulinum toxin injections.",
        "definition": NEUROTOXIN_CONSENT,
        "services": ("botox", "neurotoxin", "dysport", "xeomin", "toxin"),
    },
    "filler-consent": {
        "name": "Dermal filler consent",
        "kind": FormKind.CONSENT,
        "valid_days": 365,
        "description": "Informed consent for hyaluronic acid filler.",
        "definition": FILLER_CONSENT,
        "services": ("filler",),
    },
    "laser-consent": {
        "name": "Laser and IPL consent",
        "kind": FormKind.CONSENT,
        "valid_days": 365,
        "description": "Informed consent for laser and light treatments.",
        "definition": LASER_CONSENT,
        "services": ("laser", "ipl"),
    },
    "peel-consent": {
        "name": "Chemical peel consent",
        "kind": FormKind.CONSENT,
        "valid_days": 365,
        "description": "Informed consent for chemical peels.",
        "definition": PEEL_CONSENT,
        "services": ("peel",),
    },
    "photo-release": {
        "name": "Photo release",
        "kind": FormKind.PHOTO_RELEASE,
        "valid_days": None,
        "description": "Clinical photos, and each use beyond the record as its own permission.",
        "definition": PHOTO_RELEASE,
        "services": "*",
    },
    "financial-policy": {
        "name": "Cancellation and financial policy",
        "kind": FormKind.FINANCIAL,
        "valid_days": 365,
        "description": "Late cancellation, no-show and payment terms.",
        "definition": FINANCIAL_POLICY,
        "services": "*",
    },
    "post-care": {
        "name": "Post-care acknowledgement",
        "kind": FormKind.POST_CARE,
        "valid_days": None,
        "description": "The patient received and understood aftercare instructions.",
        "definition": POST_CARE,
        "services": (),
    },
}
