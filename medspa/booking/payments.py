"""Deposits go through a payment processor behind one small interface.

`PAYMENT_BACKEND=test` (the default) is the clearly labelled test mode: the portal shows a
"TEST MODE — no money moves" page whose buttons approve or decline the deposit; it asks for
no card details and stores none. The billing module will register real processors (Stripe)
here; a real processor returns a reference and confirms through its verified webhook.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings


@dataclass(frozen=True)
class PaymentResult:
    succeeded: bool
    reference: str
    message: str = ""


class PaymentProcessor(Protocol):
    name: str
    test_mode: bool

    def start(self, *, amount, currency: str, description: str) -> str:
        """Begin a payment; return the processor's reference for it."""

    def complete(self, *, reference: str, outcome: str) -> PaymentResult:
        """Finish the payment (test mode: the outcome the tester chose)."""


class TestModeProcessor:
    """No money moves: the tester chooses approve or decline. Labelled as such everywhere."""

    name = "test"
    test_mode = True

    def start(self, *, amount, currency: str, description: str) -> str:
        return f"test_{secrets.token_hex(8)}"

    def complete(self, *, reference: str, outcome: str) -> PaymentResult:
        if outcome == "approve":
            return PaymentResult(True, reference)
        return PaymentResult(False, reference, "The test card was declined.")


PROCESSORS: dict[str, type] = {"test": TestModeProcessor}


def processor() -> PaymentProcessor:
    backend = getattr(settings, "PAYMENT_BACKEND", "test")
    if backend not in PROCESSORS:
        raise RuntimeError(f"Unknown PAYMENT_BACKEND {backend!r}")
    return PROCESSORS[backend]()
