"""Display helpers for the catalog pages."""

from decimal import Decimal

from django import template

register = template.Library()

SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$", "EUR": "€", "GBP": "£"}


@register.filter
def money(value, currency: str = "USD") -> str:
    """400 → "$400.00"; other currencies without a symbol get their code ("CHF 400.00")."""
    if value is None or value == "":
        return ""
    amount = f"{Decimal(value):,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{amount}" if symbol else f"{currency} {amount}"


@register.filter
def minutes(value) -> str:
    """75 → "1 h 15 min"; 30 → "30 min"."""
    value = int(value or 0)
    hours, rest = divmod(value, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


@register.filter
def percent(value) -> str:
    """8.875 → "8.875 %", 20.00 → "20 %"."""
    number = Decimal(value).normalize()
    return f"{number:f} %"
