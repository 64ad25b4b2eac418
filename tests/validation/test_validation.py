"""Each expectation fails on a crafted frame and names the right source lines."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from toolkit import schema as S
from toolkit.process import parse_process
from toolkit.validation.run import validate
from toolkit.validation.suites import build_checks

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "metrics"))
from metric_frames import PROCESS_YAML, deals_frame, events_frame  # noqa: E402

AS_OF = dt.date(2025, 6, 30)
t = dt.datetime


def clean() -> tuple[pl.DataFrame, pl.DataFrame]:
    deals = deals_frame([
        {S.DEAL_ID: "d1", S.SOURCE_LINE: 2, S.STAGE: "A", S.STAGE_RAW: "A"},
        {S.DEAL_ID: "d2", S.SOURCE_LINE: 3, S.STAGE: "B", S.STAGE_RAW: "B"},
        {S.DEAL_ID: "d3", S.SOURCE_LINE: 4, S.STAGE: "Won", S.STAGE_RAW: "Won", S.STATUS: "won",
         S.CLOSED_AT: t(2025, 6, 20)},
        {S.DEAL_ID: "d4", S.SOURCE_LINE: 5, S.STAGE: "Lost", S.STAGE_RAW: "Lost", S.STATUS: "lost",
         S.CLOSED_AT: t(2025, 6, 21)},
    ])
    events = events_frame([("d1", "A", t(2025, 6, 1)), ("d2", "A", t(2025, 6, 2)), ("d2", "B", t(2025, 6, 3)),
                           ("d3", "A", t(2025, 6, 4)), ("d3", "Won", t(2025, 6, 20))])
    return deals, events


def set_at(frame: pl.DataFrame, deal: str, **values: object) -> pl.DataFrame:
    return frame.with_columns([pl.when(pl.col(S.DEAL_ID) == deal).then(pl.lit(v, dtype=frame.schema[c]))
                               .otherwise(pl.col(c)).alias(c) for c, v in values.items()])


@pytest.fixture(scope="module")
def process():
    return parse_process(PROCESS_YAML)


@pytest.fixture(scope="module")
def clean_report(process):
    deals, events = clean()
    return validate(deals, events, process, as_of=AS_OF)


def test_clean_data_passes_every_check(clean_report) -> None:
    assert clean_report.success, clean_report.render_text()
    assert not clean_report.blocking
    # 6 error checks (status, close time, created before closed, stage known, entry time, history
    # stage known) and 9 warnings (amount, close date, currency x2, owner, team, entry not future,
    # the process's two required fields).
    assert clean_report.summary() == {"error_passed": 6, "error_failed": 0, "warning_passed": 9, "warning_failed": 0}


Mutation = Callable[[pl.DataFrame, pl.DataFrame], tuple[pl.DataFrame, pl.DataFrame]]

CASES: dict[str, tuple[Mutation, list[int]]] = {
    "deals.status.not_null": (lambda d, e: (set_at(d, "d1", status=None), e), [2]),
    "deals.closed_at.set_when_closed": (lambda d, e: (set_at(d, "d4", closed_at=None), e), [5]),
    "deals.created_before_closed": (lambda d, e: (set_at(d, "d3", closed_at=t(2025, 5, 1)), e), [4]),
    "deals.amount.in_range": (lambda d, e: (set_at(set_at(d, "d1", amount=-5.0), "d2", amount=1e12), e), [2, 3]),
    "deals.close_date.sane": (lambda d, e: (set_at(d, "d2", close_date=dt.date(2099, 1, 1)), e), [3]),
    "deals.currency.known": (lambda d, e: (set_at(d, "d1", currency="EURO"), e), [2]),
    "deals.currency.present": (lambda d, e: (set_at(d, "d1", currency=None), e), [2]),
    "deals.owner.present": (lambda d, e: (set_at(d, "d1", owner_id=None), e), [2]),
    "deals.team.assigned": (lambda d, e: (set_at(d, "d2", team_id="unassigned"), e), [3]),
    "deals.stage.known": (lambda d, e: (set_at(d, "d1", stage=None, stage_raw="Demo"), e), [2]),
    "process.A.amount": (lambda d, e: (set_at(d, "d3", amount=None), e), [4]),
    "process.B.decision_maker": (lambda d, e: (set_at(set_at(d, "d1", decision_maker=None), "d2",
                                                      decision_maker=None), e), [3]),
    "stage_events.entered_at.not_null": (lambda d, e: (d, e.with_columns(
        pl.when(pl.col(S.SOURCE_LINE) == 4).then(None).otherwise(pl.col(S.ENTERED_AT)).alias(S.ENTERED_AT))), [4]),
    "stage_events.entered_at.not_future": (lambda d, e: (d, set_at(e, "d1", entered_at=t(2025, 7, 2))), [2]),
    "stage_events.stage.known": (lambda d, e: (d, e.with_columns(
        pl.when(pl.col(S.SOURCE_LINE) == 3).then(None).otherwise(pl.col(S.STAGE)).alias(S.STAGE))), [3]),
}


def test_every_check_has_a_failing_case(process) -> None:
    # No check that cannot fail: each has a case that fails it (the load's checks: test_load_checks).
    assert {c.name for c in build_checks(process, as_of=AS_OF)} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_fails_and_names_the_source_lines(process, name: str) -> None:
    mutate, lines = CASES[name]
    deals, events = mutate(*clean())
    report = validate(deals, events, process, as_of=AS_OF)
    failed = {o.name: o for o in report.failed}
    assert set(failed) == {name}, report.render_text()
    assert failed[name].source_lines == lines
    assert failed[name].unexpected_count == len(lines)
    assert report.blocking == (failed[name].severity == "error")


def test_a_missing_canonical_column_is_an_error_naming_it(process) -> None:
    from toolkit.errors import ColumnNotFoundError
    deals, events = clean()
    with pytest.raises(ColumnNotFoundError, match="currency"):
        validate(deals.drop(S.CURRENCY), events, process, as_of=AS_OF)


def test_severity_and_thresholds_come_from_the_process() -> None:
    strict = parse_process(PROCESS_YAML + "validation: {amount_ceiling: 50, severity: {deals.amount.in_range: error}}\n")
    deals, events = clean()
    report = validate(deals, events, strict, as_of=AS_OF)
    out = {o.name: o for o in report.outcomes}["deals.amount.in_range"]
    assert (out.severity, out.success, out.source_lines) == ("error", False, [2, 3, 4, 5])
    assert report.blocking


def test_html_fragment_escapes_crm_text(process) -> None:
    deals, events = clean()
    deals = set_at(deals, "d1", deal_id="<img src=x onerror=alert(1)>", owner_id=None)
    html = validate(deals, events, process, as_of=AS_OF).to_html()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_report_as_frames_and_json(clean_report) -> None:
    frame = clean_report.to_polars()
    assert frame.height == len(clean_report.outcomes) and frame["success"].all()
    assert type(clean_report.to_pandas()).__name__ == "DataFrame"
    d = clean_report.to_dict()
    assert {"success", "blocking", "expectations"} <= set(d)
    assert set(d["expectations"][0]) >= {"name", "severity", "success", "unexpected_count", "source_lines"}


SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def test_samples_pass_every_check_but_the_planted_missing_fields() -> None:
    import toolkit

    data = toolkit.load(SAMPLES / "salesforce_export")
    report = validate(data.deals, data.stage_events, toolkit.load_process(), as_of=dt.date(2025, 6, 30))
    planted = pl.read_csv(SAMPLES / "ground_truth.csv", infer_schema=False)
    missing = set(planted.filter(pl.col("flag") == "missing_required_field")[S.DEAL_ID])
    assert not report.blocking
    failed = {o.name: o for o in report.failed}
    # exactly the planted missing fields: 18 decision makers at Discover, 5 next steps at Propose,
    # 1 decision maker at Negotiate
    assert {o.name: o.unexpected_count for o in failed.values()} == {
        "process.Discover.decision_maker": 18, "process.Propose.next_step": 5, "process.Negotiate.decision_maker": 1}
    assert set().union(*(set(o.deal_ids) for o in failed.values())) == missing


PIPELINES_YAML = """\
name: Two
pipelines:
  New Business:
    stages: [{name: A, required: [amount]}, {name: B, required: [decision_maker]}]
    won: Won
    lost: Lost
  Renewals:
    stages: [{name: R1}, {name: R2, required: [amount]}]
    won: Renewed
    lost: Churned
"""


def test_required_fields_are_judged_by_each_deals_pipeline() -> None:
    process = parse_process(PIPELINES_YAML)
    deals = deals_frame([
        # line 2: New Business at B without a decision maker; line 3: a renewal at R2 without an amount;
        # line 4: a renewal at R1 without a decision maker (Renewals does not require one).
        {S.DEAL_ID: "n1", S.SOURCE_LINE: 2, S.STAGE: "B", S.STAGE_RAW: "B", S.PIPELINE: "new  business",
         "decision_maker": None},
        {S.DEAL_ID: "r1", S.SOURCE_LINE: 3, S.STAGE: "R2", S.STAGE_RAW: "R2", S.PIPELINE: "Renewals", S.AMOUNT: None,
         S.CURRENCY: None},
        {S.DEAL_ID: "r2", S.SOURCE_LINE: 4, S.STAGE: "R1", S.STAGE_RAW: "R1", S.PIPELINE: "Renewals",
         "decision_maker": None, S.AMOUNT: None, S.CURRENCY: None},
    ])
    events = events_frame([("n1", "A", t(2025, 6, 1)), ("n1", "B", t(2025, 6, 2)), ("r1", "R1", t(2025, 6, 1)),
                           ("r1", "R2", t(2025, 6, 3)), ("r2", "R1", t(2025, 6, 4))])
    report = validate(deals, events, process, as_of=AS_OF)
    failed = {o.name: o.source_lines for o in report.failed if o.name.startswith("process.")}
    assert failed == {"process.New Business.B.decision_maker": [2], "process.Renewals.R2.amount": [3]}


def test_importing_gx_in_a_worker_that_logs_at_debug_adds_no_gx_lines(tmp_path: Path) -> None:
    """A run's workers log at DEBUG to the run log; GX's import logged thousands of lines there."""
    import subprocess

    log = tmp_path / "run.log"
    code = ("import logging, os\n"
            "from toolkit.reporting.kernels import worker_init\n"
            f"worker_init(os.getppid(), {str(log)!r})\n"
            "logging.getLogger('toolkit').debug('worker ready')\n"
            "from toolkit.validation.run import import_gx\n"
            "import_gx()\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300, cwd=Path(__file__).resolve().parents[2])
    lines = log.read_text(encoding="utf-8").splitlines()
    assert any("worker ready" in line for line in lines)  # the worker's DEBUG lines do reach the log
    assert [line for line in lines if "great_expectations" in line] == []
