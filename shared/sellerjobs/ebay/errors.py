"""Reading eBay's ``{"errors": [...]}`` envelope into the job kernel's ``ErrorDetail``."""

from __future__ import annotations

from typing import Any

from sellerjobs.jobs.marketplace import ErrorDetail


def parse_error(raw: Any) -> ErrorDetail:
    """One entry of eBay's envelope; tolerant of whatever eBay (or a proxy in front of it) sends."""
    if not isinstance(raw, dict):
        return ErrorDetail(error_id=0, message=str(raw)[:200])
    try:
        error_id = int(raw.get("errorId") or 0)
    except (TypeError, ValueError):
        error_id = 0
    return ErrorDetail(
        error_id=error_id,
        message=str(raw.get("longMessage") or raw.get("message") or "")[:500],
        category=str(raw.get("category") or ""),
        domain=str(raw.get("domain") or ""),
    )


def parse_errors(payload: Any) -> list[ErrorDetail]:
    if isinstance(payload, dict) and isinstance(payload.get("errors"), list):
        return [parse_error(e) for e in payload["errors"]]
    return []
