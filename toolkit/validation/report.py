"""The data-quality report: per expectation, what it checks, its severity, whether it passed, how
many rows failed and which (deal ids and source lines). Free of GX, so reports can use it without
importing GX."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from toolkit.validation.suites import ERROR, WARNING

SAMPLE_IN_HTML = 5


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation."""

    name: str
    table: str
    description: str
    severity: str
    success: bool
    unexpected_count: int
    element_count: int
    source_lines: list[int] = field(default_factory=list)
    deal_ids: list[str | None] = field(default_factory=list)
    error: str | None = None
    #: The file of each of ``source_lines`` where the check spans files (the load's checks); empty
    #: for checks of one table, whose lines are its rows' ``source_line``.
    source_files: list[str] = field(default_factory=list)

    def where(self, limit: int | None = None) -> list[str]:
        """The failing records as ``file:line`` (or ``line`` where the file is the table's)."""
        lines = self.source_lines[:limit]
        if not self.source_files:
            return [str(n) for n in lines]
        return [f"{f}:{n}" for f, n in zip(self.source_files, lines, strict=False)]

    @property
    def unexpected_share(self) -> float:
        return self.unexpected_count / self.element_count if self.element_count else 0.0


@dataclass(frozen=True)
class DataQualityReport:
    """Every expectation's outcome, with a summary and a ``blocking`` flag (an ``error``
    expectation failed: a report built on this data must not be published)."""

    outcomes: list[ExpectationOutcome]
    as_of: dt.date | None = None

    @property
    def blocking(self) -> bool:
        return any(o.severity == ERROR and not o.success for o in self.outcomes)

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    def summary(self) -> dict[str, int]:
        """Passed and failed expectations, by severity."""
        out = {f"{s}_{r}": 0 for s in (ERROR, WARNING) for r in ("passed", "failed")}
        for o in self.outcomes:
            out[f"{o.severity}_{'passed' if o.success else 'failed'}"] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``toolkit validate --json``."""
        return {
            "success": self.success, "blocking": self.blocking, "summary": self.summary(),
            "expectations": [{"name": o.name, "table": o.table, "description": o.description, "severity": o.severity,
                              "success": o.success, "unexpected_count": o.unexpected_count,
                              "unexpected_share": o.unexpected_share, "source_lines": o.source_lines,
                              "deal_ids": o.deal_ids, "source_files": o.source_files, "error": o.error}
                             for o in self.outcomes],
        }

    def to_polars(self) -> pl.DataFrame:
        """One row per expectation (lines and ids as lists)."""
        return pl.DataFrame([{"name": o.name, "table": o.table, "description": o.description,
                              "severity": o.severity, "success": o.success, "unexpected_count": o.unexpected_count,
                              "unexpected_share": o.unexpected_share, "source_lines": o.source_lines,
                              "deal_ids": o.deal_ids, "source_files": o.source_files} for o in self.outcomes],
                            schema={"name": pl.String, "table": pl.String, "description": pl.String,
                                    "severity": pl.String, "success": pl.Boolean, "unexpected_count": pl.Int64,
                                    "unexpected_share": pl.Float64, "source_lines": pl.List(pl.Int64),
                                    "deal_ids": pl.List(pl.String), "source_files": pl.List(pl.String)})

    def to_pandas(self) -> Any:
        return self.to_polars().to_pandas()

    def to_html(self, only_failed: bool = True) -> str:
        """A safe HTML fragment: every text from the data is escaped."""
        rows = self.failed if only_failed else self.outcomes
        s = self.summary()
        head = (f"<p class='dq-summary'>{s['error_failed']} blocking and {s['warning_failed']} warning "
                f"check(s) failed; {s['error_passed'] + s['warning_passed']} passed.</p>")
        if not rows:
            return head
        body = []
        for o in rows:
            pairs = ", ".join(f"{html.escape(str(d))} (line {html.escape(ln)})" for d, ln in
                              list(zip(o.deal_ids, o.where(), strict=False))[:SAMPLE_IN_HTML])
            body.append(f"<tr class='dq-{html.escape(o.severity)}'><td>{html.escape(o.severity)}</td>"
                        f"<td>{html.escape(o.description)}</td><td>{o.unexpected_count:,}</td>"
                        f"<td>{o.unexpected_share:.1%}</td><td>{pairs}</td></tr>")
        return (head + "<table class='dq'><thead><tr><th>severity</th><th>check</th><th>rows</th><th>share</th>"
                "<th>examples (deal, line)</th></tr></thead><tbody>" + "".join(body) + "</tbody></table>")

    def render_text(self) -> str:
        """The report for a terminal or a log."""
        s = self.summary()
        lines = [f"data quality: {'BLOCKING' if self.blocking else 'ok'} - errors failed {s['error_failed']}, "
                 f"warnings failed {s['warning_failed']}, passed {s['error_passed'] + s['warning_passed']}"]
        for o in self.outcomes:
            mark = "PASS" if o.success else "FAIL"
            line = f"  {mark} {o.severity:<7} {o.name}: {o.description}"
            if not o.success:
                line += f" [{o.unexpected_count:,} rows, {o.unexpected_share:.1%}; lines {', '.join(o.where(8))}]"
            if o.error:
                line += f" (error: {o.error})"
            lines.append(line)
        return "\n".join(lines)
