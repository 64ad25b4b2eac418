"""Validation: expectation suites built from the schema and the process, run with Great
Expectations; the only package that imports GX (and only when validation runs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from toolkit.validation.report import DataQualityReport


def validate_dataset(data: Any, process: Any, *, as_of: Any, settings: Any = None,
                     data_docs: Any = None) -> DataQualityReport:
    """Validate a loaded :class:`~toolkit.model.Dataset`."""
    from toolkit.validation.run import validate

    return validate(data.deals, data.stage_events, process, as_of=as_of, settings=settings,
                    roster_owners=data.roster_owners, has_history=data.has_history, data_docs=data_docs)
