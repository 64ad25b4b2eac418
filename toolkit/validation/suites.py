"""Expectation suites built in code from the canonical schema and the process definition.

This module describes the expectations as plain data (:class:`Check`); :mod:`toolkit.validation.run`
turns them into Great Expectations objects. Keeping the description free of GX lets the toolkit
list, document and configure the checks without importing GX.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from toolkit import schema as S
from toolkit.process import Process, ValidationSettings

ERROR, WARNING = "error", "warning"

#: ISO 4217 codes in use (plus XAU/XAG-style codes left out on purpose: not deal currencies).
CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF
CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD
HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD
MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY
TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
""".split())


@dataclass(frozen=True)
class Check:
    """One expectation: which table, which GX expectation with which arguments, and why."""

    name: str
    table: str  # "deals" or "stage_events"
    expectation: str  # a class name in great_expectations.expectations
    kwargs: dict[str, Any]
    description: str
    severity: str = ERROR
    #: Which rows the check applies to: (op, column, value) with op in "in", "eq", "not_null", "ge".
    condition: tuple[str, str, Any] | None = None


def _sev(settings: ValidationSettings, name: str, default: str) -> str:
    return settings.severity.get(name, default)


def build_checks(process: Process, *, as_of: dt.date, settings: ValidationSettings | None = None,
                 roster_owners: list[str] | None = None, has_history: bool = True) -> list[Check]:
    """Every check of the deals, stage_events and process suites, in the order reported.
    Thresholds and severities come from ``settings``, else the process's ``validation:``."""
    st = settings or process.validation
    c: list[Check] = []

    def add(name: str, table: str, expectation: str, kwargs: dict[str, Any], description: str, severity: str,
            condition: tuple[str, str, Any] | None = None) -> None:
        c.append(Check(name, table, expectation, kwargs, description, _sev(st, name, severity), condition))

    # Checks the loaders guarantee are not here, as they could never fail: every canonical column
    # exists (validate() requires them), one row per deal id, no null id, a status in open/won/lost,
    # no close time on an open deal, no stage entry of an unknown deal. The load's own checks
    # (load_checks: DUPLICATE_ID, MISSING_ID, INVALID_STATUS, UNKNOWN_DEAL, ...) see those records.
    add("deals.status.not_null", "deals", "ExpectColumnValuesToNotBeNull", {"column": S.STATUS},
        "Every deal has a status (open, won or lost).", ERROR)
    add("deals.closed_at.set_when_closed", "deals", "ExpectColumnValuesToNotBeNull",
        {"column": S.CLOSED_AT}, "Won and lost deals have a close time.", ERROR, ("in", S.STATUS, ["won", "lost"]))
    add("deals.created_before_closed", "deals", "ExpectColumnPairValuesAToBeGreaterThanB",
        {"column_A": S.CLOSED_AT, "column_B": S.CREATED_AT, "or_equal": True,
         "ignore_row_if": "either_value_is_missing"}, "A deal is created before it is closed.", ERROR)
    add("deals.amount.in_range", "deals", "ExpectColumnValuesToBeBetween",
        {"column": S.AMOUNT, "min_value": 0, "max_value": st.amount_ceiling},
        f"Amounts are between 0 and {st.amount_ceiling:,.0f}.", WARNING)
    years = dt.timedelta(days=365)
    lo = dt.datetime.combine(as_of - st.close_date_years_back * years, dt.time())
    hi = dt.datetime.combine(as_of + st.close_date_years_ahead * years, dt.time())
    add("deals.close_date.sane", "deals", "ExpectColumnValuesToBeBetween",
        {"column": S.CLOSE_DATE, "min_value": lo, "max_value": hi},
        f"Close dates fall between {lo.date()} and {hi.date()}.", WARNING)
    add("deals.currency.known", "deals", "ExpectColumnValuesToBeInSet",
        {"column": S.CURRENCY, "value_set": sorted(CURRENCIES)}, "Currencies are ISO 4217 codes.", WARNING)
    add("deals.currency.present", "deals", "ExpectColumnValuesToNotBeNull",
        {"column": S.CURRENCY}, "Every amount says its currency.", WARNING, ("not_null", S.AMOUNT, None))
    add("deals.owner.present", "deals", "ExpectColumnValuesToNotBeNull", {"column": S.OWNER_ID},
        "Every deal has an owner.", WARNING)
    add("deals.team.assigned", "deals", "ExpectColumnValuesToNotBeInSet",
        {"column": S.TEAM_ID, "value_set": [S.UNASSIGNED_TEAM_ID]},
        "Every deal's owner is in a team (roster, role or export).", WARNING)
    if roster_owners is not None:
        add("deals.owner.in_roster", "deals", "ExpectColumnValuesToBeInSet",
            {"column": "_owner_key", "value_set": sorted(set(roster_owners))},
            "Every deal owner is in the roster.", WARNING)
    known = (f"the process ({', '.join(process.stage_names)})" if not process.pipelines else
             "its pipeline's process (" + "; ".join(f"{n}: {', '.join(p.stage_names)}"
                                                    for n, p in process.pipelines.items()) + ")")
    add("deals.stage.known", "deals", "ExpectColumnValuesToNotBeNull",
        {"column": S.STAGE}, f"Every stage label is a stage of {known}.", ERROR, ("not_null", S.STAGE_RAW, None))

    if has_history:
        add("stage_events.entered_at.not_null", "stage_events", "ExpectColumnValuesToNotBeNull",
            {"column": S.ENTERED_AT}, "Every stage entry has a time.", ERROR)
        end = dt.datetime.combine(as_of, dt.time.max)
        add("stage_events.entered_at.not_future", "stage_events", "ExpectColumnValuesToBeBetween",
            {"column": S.ENTERED_AT, "max_value": end}, f"No stage entry is after {as_of}.", WARNING)
        add("stage_events.stage.known", "stage_events", "ExpectColumnValuesToNotBeNull",
            {"column": S.STAGE}, "Every stage in the history is a stage of the process.", ERROR,
            ("not_null", S.STAGE_RAW, None))

    for prefix, proc in judged_by(process):
        where = f" of pipeline {prefix[:-1]}" if prefix else ""
        for k, stage in enumerate(proc.stages):
            for f in stage.required:
                add(f"process.{prefix}{stage.name}.{f}", "deals", "ExpectColumnValuesToNotBeNull",
                    {"column": f}, f"Deals{where} that reached {stage.name} have {f} filled (the process requires it).",
                    WARNING, ("eq", reached_column(prefix, k), True))
    return c


def judged_by(process: Process) -> list[tuple[str, Process]]:
    """(name prefix, process) of every process deals are judged by: the process itself (for deals
    of a pipeline the file does not name), then each pipeline's, prefixed ``<pipeline>.``."""
    return [("", process)] + [(f"{name}.", p) for name, p in process.pipelines.items()]


def reached_column(prefix: str, k: int) -> str:
    """The column that says a deal (of the prefix's pipeline) reached open stage ``k``."""
    return f"_reached_{prefix}{k}"
