"""Validation errors in plain words: what a front end can show next to the field it names.

pydantic reports what failed in its own terms ("Input should be greater than or equal to 1",
a raw regular expression, Python's integer limits); the caller of an HTTP API should read
"limit must be at least 1". Each error type that our models can raise has a sentence here;
anything else says that the value is not valid, never what pydantic said.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

# The parts of an error location that say where a value came from, not which field it was.
SOURCES = ("body", "query", "path", "header", "cookie")

Sentence = Callable[[Mapping[str, Any]], str]


def _number(value: Any) -> str:
    """1.0 -> "1", 2.5 -> "2.5", Decimal("100.0") -> "100"."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = Decimal(str(value))
        return str(number.to_integral_value()) if number == number.to_integral_value() else str(number.normalize())
    return str(value)


def _choices(expected: Any) -> str:
    # pydantic's "'a', 'b' or 'c'" without the quotes.
    return str(expected).replace("'", "")


def _items(count: Any, ctx: Mapping[str, Any]) -> str:
    # pydantic counts a secret's characters as "items" of a "Value"; a seller's token has characters.
    if ctx.get("field_type") == "Value":
        return f"{count} characters long"
    return f"{count} item" if count == 1 else f"{count} items"


def _have(ctx: Mapping[str, Any]) -> str:
    return "be" if ctx.get("field_type") == "Value" else "have"


def _fixed(text: str) -> Sentence:
    return lambda ctx: text


_SENTENCES: dict[str, Sentence] = {
    "missing": _fixed("is required"),
    "extra_forbidden": _fixed("is not a field of this request"),
    "string_type": _fixed("must be text"),
    "string_unicode": _fixed("must be text"),
    "int_type": _fixed("must be a whole number"),
    "int_parsing": _fixed("must be a whole number"),
    "int_from_float": _fixed("must be a whole number"),
    "int_parsing_size": _fixed("is too large a number"),
    "float_type": _fixed("must be a number"),
    "float_parsing": _fixed("must be a number"),
    "decimal_type": _fixed("must be a number"),
    "decimal_parsing": _fixed("must be a number"),
    "finite_number": _fixed("must be a finite number"),
    "bool_type": _fixed("must be true or false"),
    "bool_parsing": _fixed("must be true or false"),
    "list_type": _fixed("must be a list"),
    "dict_type": _fixed("must be a JSON object"),
    "model_type": _fixed("must be a JSON object"),
    "model_attributes_type": _fixed("must be a JSON object"),
    "union_tag_invalid": _fixed("must be a JSON object"),
    "union_tag_not_found": _fixed("must be a JSON object"),
    "json_invalid": _fixed("is not valid JSON"),
    "json_type": _fixed("must be JSON text"),
    "string_pattern_mismatch": _fixed("is not in the expected format"),
    "greater_than_equal": lambda ctx: f"must be at least {_number(ctx.get('ge'))}",
    "less_than_equal": lambda ctx: f"must be at most {_number(ctx.get('le'))}",
    "greater_than": lambda ctx: f"must be more than {_number(ctx.get('gt'))}",
    "less_than": lambda ctx: f"must be less than {_number(ctx.get('lt'))}",
    "multiple_of": lambda ctx: f"must be a multiple of {_number(ctx.get('multiple_of'))}",
    "string_too_short": lambda ctx: "must not be empty" if ctx.get("min_length") == 1
    else f"must be at least {ctx.get('min_length')} characters long",
    "string_too_long": lambda ctx: f"must be at most {ctx.get('max_length')} characters long",
    "too_short": lambda ctx: f"must {_have(ctx)} at least {_items(ctx.get('min_length'), ctx)}",
    "too_long": lambda ctx: f"must {_have(ctx)} at most {_items(ctx.get('max_length'), ctx)}",
    "literal_error": lambda ctx: f"must be one of {_choices(ctx.get('expected'))}",
    "enum": lambda ctx: f"must be one of {_choices(ctx.get('expected'))}",
    "decimal_max_places": lambda ctx: f"must have at most {_number(ctx.get('decimal_places'))} decimal places",
}
# Our own validators raise ValueError with a sentence meant for the caller.
_OWN = ("value_error", "assertion_error")


def field_path(loc: Iterable[int | str]) -> str:
    """Where the error is, as a front end names it: ("body", "batch", 3, "adRate") -> "batch[3].adRate".

    A query, path or header parameter is named by itself; a body field by its path inside the
    body; the body as a whole is "body". Union members are tagged "<...>" (see the request
    models) and are not part of a field's name.
    """
    parts = [part for part in loc if not (isinstance(part, str) and part.startswith("<"))]
    if parts and parts[0] in SOURCES:
        source, parts = parts[0], parts[1:]
        if not parts:
            return str(source)
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def sentence(error: Mapping[str, Any]) -> str:
    """The plain-language message of one pydantic error (without the field's name)."""
    kind = str(error.get("type", ""))
    if kind in _OWN:
        return str(error.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    describe = _SENTENCES.get(kind)
    return describe(error.get("ctx") or {}) if describe else "is not valid"


def field_errors(errors: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(field, message) for each error, in the order pydantic found them, without repeats."""
    return list(dict.fromkeys((field_path(e.get("loc", ())), sentence(e)) for e in errors))
