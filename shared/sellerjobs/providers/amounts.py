"""What the market providers send as text: money amounts, sizes and style ids.

Each provider spells money its own way — StockX whole or decimal units as strings ("137",
"137.50") or null, Alias US cents as strings ("12700") or an absent field, eBay Browse decimal
strings ("110.95"). A figure we cannot read becomes None (no figure) rather than an error: one
odd field must not cost the whole quote, and a wrong price is worse than a missing one. Nothing
here logs, so no value — money or otherwise — ever reaches a log line from this module.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

# Plain non-negative decimals only: no signs, exponents ("1e3"), thousands separators, NaN or
# Infinity. Providers never send those for a price, so seeing one means the field is not a price.
_DECIMAL = re.compile(r"\d{1,12}(?:\.\d{1,6})?")
_CENTS = re.compile(r"\d{1,14}")


def parse_amount(raw: object) -> Decimal | None:
    """A price in currency units ("137", "137.50", 137) as a Decimal; None if absent or unreadable."""
    text = _as_text(raw)
    if text is None or _DECIMAL.fullmatch(text) is None:
        return None
    return _decimal(text)


def parse_cents(raw: object) -> Decimal | None:
    """A price in cents ("12700", 12700) as currency units with two places (Decimal("127.00"))."""
    text = _as_text(raw)
    if text is None or _CENTS.fullmatch(text) is None:
        return None
    cents = _decimal(text)
    return None if cents is None else cents.scaleb(-2)


def lowest(amounts: Iterable[Decimal | None]) -> Decimal | None:
    """The smallest of the figures that are there; None if none is."""
    present = [amount for amount in amounts if amount is not None]
    return min(present) if present else None


def highest(amounts: Iterable[Decimal | None]) -> Decimal | None:
    present = [amount for amount in amounts if amount is not None]
    return max(present) if present else None


def size_key(raw: object) -> str | None:
    """One spelling per size, so "10", "10.0", " 10 " and 10.0 compare equal, and "m" equals "M".

    Numeric sizes are written without trailing zeros ("10.5", "10"); others (apparel "XL", youth
    "5Y") are upper-cased with inner whitespace collapsed. None for an empty or unusable size.
    """
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int | float):
        raw = str(raw)
    if not isinstance(raw, str):
        return None
    text = " ".join(raw.split()).upper()
    if not text:
        return None
    if _DECIMAL.fullmatch(text):
        number = _decimal(text)
        if number is not None:
            # normalize() drops trailing zeros but writes 10 as "1E+1": format fixes that.
            return format(number.normalize(), "f")
    return text


def _as_text(raw: object) -> str | None:
    # bool is an int subclass; True is not a price.
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return None
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, str):
        return raw.strip()
    return None


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def style_key(text: str) -> str:
    """Style ids compare without case, spaces or hyphens: Alias writes "DD1391 100" for "DD1391-100"."""
    return re.sub(r"[\s-]+", "", text).upper()
