"""A seeded generator of one fictional company's CRM exports, with the process problems planted in
them written down as ground truth.

The company (Northwind Instruments) sells through teams of 6-12 reps (Nordics, DACH, US East,
US West, ...); European teams sell in EUR, US teams in USD. It configured the same pipeline in
every CRM: open stages ``Qualify`` (14 days max; amount, close_date required), ``Discover`` (21;
decision_maker), ``Propose`` (21; amount, close_date, next_step), ``Negotiate`` (30;
decision_maker, next_step), then ``Closed Won`` (from Negotiate) or ``Closed Lost`` (from any open
stage). History starts on 2024-07-01; :data:`AS_OF` (2025-06-30) is the samples' "today" and every
timestamp lies before it, at minute resolution, timezone-naive.

>>> company = generate_company(7)                                   # doctest: +SKIP
>>> write_samples(Path("data/samples"))                             # doctest: +SKIP
>>> write_samples(Path("/tmp/big"), scale=scale_for(1_000_000),     # doctest: +SKIP
...               formats=("salesforce_export",))

Planted problems (``Company.planted``, ``ground_truth.csv``) are exactly what a correct checker
finds and nothing else: ``skipped_stage`` (stage = first open stage jumped over, including
``Propose -> Closed Won`` which skips Negotiate), ``backward_move`` (stage = the stage moved back
to), ``over_time_limit`` (detail ``days=N``, N = whole 24-hour days of the stay; a current stay counts to
AS_OF 00:00; planted stays exceed the limit by at least a day and their fraction of a day is under
10 hours, so floor and round agree; normal stays end a day or more before the limit, current ones
two days), ``missing_required_field`` (detail ``field=decision_maker|next_step``; planted only where
exactly one reached stage requires the field, which is the stage named), ``started_late`` (stage =
the first stage), ``overdue_close_date`` (open deal, close_date before AS_OF; stage = current
stage). ``detail`` is null (empty in the CSV) for the flags other than over_time_limit and
missing_required_field.
Deals that only reached stages not requiring decision_maker / next_step often leave them empty:
that is not a problem.

What each format can and cannot carry:

* Every format carries every stage entry, except **HubSpot**, which keeps only the LATEST entry
  and exit per stage: a deal with a planted ``backward_move`` loses its earlier entries there and
  looks like a normal forward path (stays in such deals are kept short so that the lost entries
  do not turn into an apparent over_time_limit either). That loss is expected.
* Won/lost: Salesforce and HubSpot use the stages ``Closed Won`` / ``Closed Lost``; Pipedrive
  keeps the last open stage in ``Deal - Stage`` and says ``Won``/``Lost`` in ``Deal - Status``
  (its flow has a ``status`` change, open -> won/lost, at the closing time); the French export
  writes the stage (``Closed Won``) and ``Statut`` ``Gagné``/``Perdu``.
* Salesforce ``OpportunityHistory`` also has rows where only Amount or CloseDate changed (same
  StageName as the row before): consecutive rows of one stage are one stage entry.
* ``changed_by`` in :class:`Company` is a user's full name; the Salesforce export has the user id
  (``CreatedById``), Pipedrive an integer ``user_id`` with no user table.

Everything is built with numpy/polars vectorised operations (one loop per rep at most): on 2 cores
the Salesforce export of a million deals (``scale_for(1_000_000)``, ~3.3 million stage entries,
~10 million OpportunityHistory rows, 1.5 GB) takes about 20 s and 3.5 GB of memory, every format
about a minute. The same seed gives byte-identical files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from toolkit import schema as S

AS_OF: date = date(2025, 6, 30)
"""The samples' "today": open deals are open as of this date; every timestamp is before it."""
HISTORY_START: date = date(2024, 7, 1)
FORMATS: tuple[str, ...] = ("salesforce_export", "salesforce_report", "hubspot", "pipedrive", "generic_fr")
COMPANY_NAME = "Northwind Instruments"
PIPELINE = "Sales Pipeline"

OPEN_STAGES: tuple[str, ...] = ("Qualify", "Discover", "Propose", "Negotiate")
WON, LOST = "Closed Won", "Closed Lost"
STAGES: tuple[str, ...] = (*OPEN_STAGES, WON, LOST)
MAX_DAYS: tuple[int, ...] = (14, 21, 21, 30)
REQUIRED: dict[str, tuple[str, ...]] = {
    "Qualify": ("amount", "close_date"),
    "Discover": ("decision_maker",),
    "Propose": ("amount", "close_date", "next_step"),
    "Negotiate": ("decision_maker", "next_step"),
}
FLAGS: tuple[str, ...] = ("skipped_stage", "backward_move", "over_time_limit", "missing_required_field",
                          "started_late", "overdue_close_date")

_PROBABILITY = (10, 20, 50, 75, 100, 0)
_PIPEDRIVE_STAGE_IDS = (1, 2, 3, 4)
_EPOCH = date(1970, 1, 1)
_START_DAY = (HISTORY_START - _EPOCH).days
_START_US = _START_DAY * 86_400 * 1_000_000
_AS_OF_MIN = (AS_OF - HISTORY_START).days * 1440          # AS_OF 00:00 in minutes from HISTORY_START
_AS_OF_DAY = (AS_OF - HISTORY_START).days
_DAY = 1440
_MIN_STAY = 120                                           # minutes; room for the history rows inside a stay

# Per-rep deal counts at scale 1 follow a fixed pattern rather than the seed, so that scale_for()
# is exact arithmetic for any seed.
_OPEN_PATTERN = (8, 11, 9, 12, 10)
_CLOSED_PATTERN = (14, 18, 22, 16, 20)
_TEAM_SIZES = (6, 8, 10, 12)

# (name, currency, name pool)
_TEAMS: tuple[tuple[str, str, str], ...] = (
    ("Nordics", "EUR", "nordic"), ("DACH", "EUR", "dach"), ("US East", "USD", "us"), ("US West", "USD", "us"),
    ("Benelux", "EUR", "benelux"), ("US Central", "USD", "us"), ("France", "EUR", "france"),
    ("US South", "USD", "us"), ("Iberia", "EUR", "iberia"), ("Italy", "EUR", "italy"), ("CEE", "EUR", "cee"),
)
_SYMBOL = {"EUR": "€", "USD": "$"}

# Every character here is in cp1252: the French export is written in it.
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "nordic": (("Lars", "Ingrid", "Åsa", "Mikael", "Sigrid", "Jonas", "Freja", "Henrik", "Maja", "Ola", "Kari",
                "Emil", "Linnea", "Søren", "Astrid", "Bjørn", "Elin", "Tuomas"),
               ("Ødegaard", "Solberg", "Lindqvist", "Järvinen", "Håkansson", "Nyström", "Berg", "Dahl", "Sørensen",
                "Virtanen", "Lundgren", "Halvorsen", "Eriksson", "Aaltonen", "Strøm", "Åberg")),
    "dach": (("Jürgen", "Anna", "Lukas", "Sophie", "Matthias", "Lena", "Felix", "Jörg", "Katharina", "Tobias",
              "Hannah", "Stefan", "Bärbel", "Maximilian", "Ursula", "Florian"),
             ("Müller", "Schäfer", "Weiß", "Köhler", "Bauer", "Gruber", "Hofmann", "Wagner", "Zimmermann",
              "Brückner", "Huber", "Schröder", "Fischer", "Keller", "Vogt", "Lehmann")),
    "us": (("José", "Emily", "Michael", "Sarah", "David", "Jessica", "Daniel", "Ashley", "Chris", "Megan", "Kevin",
            "Lauren", "Andrés", "Zoë", "Renée", "Brian", "Tyler", "Olivia", "Marcus", "Grace"),
           ("Martínez", "Carter", "Johnson", "Nguyen", "Patel", "O'Connor", "Smith", "Ramírez", "Kim", "Brooks",
            "Sullivan", "Peña", "García", "Walker", "Chen", "Rivera", "Thompson", "Hughes", "Bennett", "Reyes")),
    "benelux": (("Sanne", "Pieter", "Daan", "Eva", "Thijs", "Lotte", "Bram", "Noor", "Wouter", "Femke", "Joris",
                 "Anouk", "Maarten", "Inès"),
                ("de Vries", "Janssen", "Peeters", "van Dijk", "Maes", "Bakker", "Dubois", "Visser", "Claes",
                 "Mertens", "Smit", "Wauters")),
    "france": (("Amélie", "Hélène", "François", "Jérôme", "Céline", "Théo", "Camille", "Louis", "Élodie", "Noël",
                "Margaux", "Benoît", "Chloé", "Gaëlle"),
               ("Lefèvre", "Dubois", "Moreau", "Girard", "Rousseau", "Faure", "Bernard", "Leroy", "Mercier",
                "Lambert", "Fontaine", "Chevalier")),
    "iberia": (("José", "María", "João", "Inês", "Álvaro", "Lucía", "Sofía", "Pedro", "Beatriz", "Tomás",
                "Núria", "Rui", "Carmen", "Iñigo"),
               ("García", "Fernández", "Gonçalves", "Muñoz", "Sánchez", "Pereira", "López", "Ferreira", "Ortiz",
                "Almeida", "Castaño", "Ibáñez")),
    "italy": (("Giulia", "Marco", "Niccolò", "Chiara", "Luca", "Francesca", "Matteo", "Sara", "Davide",
               "Federica", "Andrea", "Martina", "Nicolò", "Elena"),
              ("Rossi", "Bianchi", "Ferrari", "Esposito", "Romano", "Galli", "Colombo", "Ricci", "Marino",
               "Greco", "Bruno", "Conti")),
    "cee": (("Tomáš", "Petra", "Jan", "Zuzana", "Katarína", "Marek", "Ágnes", "Péter", "Martin", "Lucie",
             "Ondrej", "Eszter", "Pavel", "Réka"),
            ("Horváth", "Kovács", "Novák", "Szabó", "Svoboda", "Tóth", "Nagy", "Procházka", "Varga", "Fekete",
             "Dvorák", "Molnár")),
}
_COMPANY_PREFIXES = (
    "Fjordline", "Alpenglanz", "Brightwater", "Nordlicht", "Cascade", "Keystone", "Müller & Söhne", "Ødegård",
    "Société Lumière", "Blue Ridge", "Harborview", "Pinecrest", "Sierra", "Zürich Präzision", "Vinterhav",
    "Kastell", "Lakeshore", "Redwood", "Granite", "Aurora", "Helios", "Borealis", "Meridian", "Atlas", "Orion",
    "Vektor", "Falkenberg", "Castellana", "Lumen", "Ångström", "Bellwether", "Copperfield", "Driftwood",
    "Eisenwerk", "Frostfell", "Goldcrest", "Hollowbrook", "Ironbridge", "Juniper", "Kronstadt", "Larkspur",
    "Midtown", "Nørrebro", "Oakhaven", "Polaris", "Quarry Hill", "Rheinland", "Saltmarsh", "Tidewater",
    "Uppsala Bio", "Valencia Agro", "Westbrook", "Yellowstone", "Zephyr")
_COMPANY_SUFFIXES = ("Logistics", "Energy", "Foods", "Pharma", "Retail", "Systems", "Telecom", "Manufacturing",
                     "Labs", "GmbH", "AB", "Inc.")
_COMPANY_SPECIALS = ("Berg, Holm & Co", "O'Neill Freight", "Café Crème SARL", "Smith, Jones and Partners")
_PRODUCTS = ("Sensor Kit", "Data Logger", "Calibration Service", "Spectrometer", "Flow Meter", "Thermal Camera",
             "Maintenance Plan", "Lab Suite", "Field Analyzer", "Training Package")
_NEXT_STEPS = ("Schedule demo", "Send proposal", "Send proposal, then follow up", "Call with procurement",
               "Legal review of the MSA", "Pricing call with the CFO", "On-site workshop",
               'Send "final" pricing', "Security questionnaire", "Reference call", "Réunion de cadrage",
               "Technical deep-dive", "Confirm budget", "Draft SOW; align on scope")

_REPORT_FOOTER = ("Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved.",
                  "Confidential Information - Do Not Distribute")
_HUBSPOT_FILE = "hubspot-crm-exports-all-deals-2025-06-30.csv"
_PIPEDRIVE_FILE = "deals-7345120-1.csv"
_PIPEDRIVE_FLOW = "deal-flow.jsonl"

_B62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
_SF_SUFFIX = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", dtype=np.uint8)


@dataclass(frozen=True)
class Company:
    """One generated company: canonical frames, the planted ground truth, and what the writers need.

    ``deals``, ``stage_events``, ``reps`` use the canonical column names of :mod:`toolkit.schema`;
    ``planted`` has one row per planted problem (deal_id, flag, stage, detail). ``users`` and
    ``roles`` are the Salesforce user and role tables (reps, one manager per team, a VP of sales);
    ``history`` is the Salesforce OpportunityHistory: one row per stage entry plus the rows where
    only the amount or the close date changed.
    """

    deals: pl.DataFrame
    stage_events: pl.DataFrame
    reps: pl.DataFrame
    planted: pl.DataFrame
    users: pl.DataFrame
    roles: pl.DataFrame
    history: pl.DataFrame
    seed: int


# --- the stage paths --------------------------------------------------------------------------

def _path_flags(path: Sequence[int]) -> list[tuple[str, int]]:
    """The order flags of a path of stage indices (0-3 open, 4 won, 5 lost): the ground-truth rules."""
    flags = [("started_late", path[0])] if path[0] != 0 else []
    for a, b in zip(path, path[1:], strict=False):
        if b == 5:                       # lost may follow any open stage
            continue
        if b > a + 1:
            flags.append(("skipped_stage", a + 1))
        elif b < a:
            flags.append(("backward_move", b))
    return flags


# Path kinds: each deal draws one; "over" uses the normal paths with one stay past its limit.
_KINDS = ("normal", "skipped_stage", "backward_move", "started_late", "over_time_limit")
_KIND_P = (0.84, 0.04, 0.03, 0.03, 0.06)


def _catalog() -> list[tuple[tuple[int, ...], int, bool, float]]:
    """Every path template: (stages, kind index, open?, weight within its kind and openness)."""
    out: list[tuple[tuple[int, ...], int, bool, float]] = []
    normal_open = [(tuple(range(f + 1)), w) for f, w in zip(range(4), (0.30, 0.30, 0.25, 0.15), strict=True)]
    normal_closed = [((0, 1, 2, 3, 4), 0.35)] + [
        ((*range(f + 1), 5), 0.65 * w) for f, w in zip(range(4), (0.35, 0.30, 0.20, 0.15), strict=True)]
    for kind in (0, 4):
        out += [(p, kind, True, w) for p, w in normal_open] + [(p, kind, False, w) for p, w in normal_closed]
    ends = ((), (4,), (5,))
    for mask in range(8):                                   # skips: forward paths from Qualify, one jump
        seq = (0, *[s for s in (1, 2, 3) if mask >> (s - 1) & 1])
        for end in ends:
            path = seq + end
            flags = _path_flags(path)
            if len(flags) == 1 and flags[0][0] == "skipped_stage":
                out.append((path, 1, not end, 1.0))
    for c in (1, 2, 3):                                     # back from c to b, then forward to e >= c
        for b in range(c):
            for e in range(c, 4):
                seq = (*range(c + 1), *range(b, e + 1))
                for end in ends:
                    if end == (4,) and e != 3:
                        continue
                    out.append((seq + end, 2, not end, 1.0))
    for s in (1, 2, 3):                                     # started late in s, forward to f
        for f in range(s, 4):
            for end in ends:
                if end == (4,) and f != 3:
                    continue
                out.append(((*range(s, f + 1), *end), 3, not end, 1.0))
    for path, kind, _, _ in out:
        flags = _path_flags(path)
        assert (not flags) if kind in (0, 4) else (len(flags) == 1 and flags[0][0] == _KINDS[kind]), path
    return out


_CATALOG = _catalog()


# --- ids ----------------------------------------------------------------------------------------

def _sf_ids(prefix: str, numbers: np.ndarray) -> pl.Series:
    """18-character Salesforce ids: key prefix + '5g' + 10 base-62 digits + the case-checksum suffix."""
    n = len(numbers)
    cols = np.empty((18, n), dtype=np.uint8)           # one row per character: contiguous writes
    cols[:5] = np.frombuffer((prefix + "5g").encode(), dtype=np.uint8)[:, None]
    rest = numbers.astype(np.int64)
    for i in range(14, 4, -1):
        rest, digit = np.divmod(rest, 62)
        cols[i] = _B62[digit]
    upper = ((cols[:15] >= ord("A")) & (cols[:15] <= ord("Z"))).astype(np.uint8)
    for j in range(3):
        bits = upper[5 * j] | upper[5 * j + 1] << 1 | upper[5 * j + 2] << 2 | upper[5 * j + 3] << 3 \
            | upper[5 * j + 4] << 4
        cols[15 + j] = _SF_SUFFIX[bits]
    return pl.Series(np.ascontiguousarray(cols.T).reshape(-1).view("S18")).cast(pl.String)


def _id_numbers(rng: np.random.Generator, n: int, max_step: int) -> np.ndarray:
    """Increasing record numbers with random gaps, as Salesforce hands them out."""
    start = int(rng.integers(62 ** 4, 62 ** 4 * 8))
    return start + np.cumsum(rng.integers(1, max_step + 1, n))


# --- people -------------------------------------------------------------------------------------

def _draw_name(rng: np.random.Generator, pool: str, used: set[str]) -> tuple[str, str]:
    firsts, lasts = _NAMES[pool]
    while True:
        first, last = firsts[int(rng.integers(len(firsts)))], lasts[int(rng.integers(len(lasts)))]
        if f"{first} {last}" not in used:
            used.add(f"{first} {last}")
            return first, last


def _people(rng: np.random.Generator, teams: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Users (reps first, in team order, then the team managers, then the VP) and roles."""
    used: set[str] = set()
    rows: list[dict[str, object]] = []
    for t, (team, _, pool) in enumerate(_TEAMS[:teams]):
        for _ in range(_TEAM_SIZES[t % len(_TEAM_SIZES)]):
            first, last = _draw_name(rng, pool, used)
            rows.append({"first_name": first, "last_name": last, "team": t, "kind": "rep"})
    for t, (_, _, pool) in enumerate(_TEAMS[:teams]):
        first, last = _draw_name(rng, pool, used)
        rows.append({"first_name": first, "last_name": last, "team": t, "kind": "manager"})
    first, last = _draw_name(rng, "us", used)
    rows.append({"first_name": first, "last_name": last, "team": -1, "kind": "vp"})
    users = pl.DataFrame(rows, schema={"first_name": pl.String, "last_name": pl.String, "team": pl.Int64,
                                       "kind": pl.String})
    user_ids = _sf_ids("005", _id_numbers(rng, users.height, 40))
    role_names = ["VP Sales"] + [n for team, _, _ in _TEAMS[:teams] for n in (f"{team} Manager", team)]
    role_ids = _sf_ids("00E", _id_numbers(rng, len(role_names), 5))
    roles = pl.DataFrame({"role_id": role_ids, "name": role_names,
                          "parent_role_id": [""] + [role_ids[0] if i % 2 == 1 else role_ids[i - 1]
                                                    for i in range(1, len(role_names))]})
    role_of = dict(zip(role_names, role_ids.to_list(), strict=True))
    n_reps = users.filter(pl.col("kind") == "rep").height
    manager_id = {t: user_ids[n_reps + t] for t in range(teams)}
    team_name = [(_TEAMS[t][0] if t >= 0 else "") for t in users["team"]]
    kinds = users["kind"].to_list()
    users = users.with_columns(
        user_id=user_ids,
        name=pl.concat_str("first_name", pl.lit(" "), "last_name"),
        team_name=pl.Series(team_name),
        role_id=pl.Series([role_of[tn] if k == "rep" else role_of[f"{tn} Manager"] if k == "manager"
                           else role_of["VP Sales"] for tn, k in zip(team_name, kinds, strict=True)]),
        manager_id=pl.Series([manager_id[t] if k == "rep" else user_ids[-1] if k == "manager" else ""
                              for t, k in zip(users["team"], kinds, strict=True)]),
        pipedrive_user_id=pl.Series(13_412_000 + np.arange(users.height, dtype=np.int64) * 7),
        active=pl.lit(True),
    )
    return users, roles


# --- helpers ------------------------------------------------------------------------------------

def _datetimes(minutes: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    """Minutes from HISTORY_START -> naive polars datetimes (null where not valid)."""
    s = pl.Series(minutes.astype(np.int64) * 60_000_000 + _START_US).cast(S.DATETIME)
    if valid is None:
        return s
    return pl.DataFrame({"v": valid, "s": s}).select(pl.when("v").then("s")).to_series()


def _dates(days: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    s = pl.Series((days.astype(np.int64) + _START_DAY).astype(np.int32)).cast(pl.Date)
    if valid is None:
        return s
    return pl.DataFrame({"v": valid, "s": s}).select(pl.when("v").then("s")).to_series()


def _pick(values: Sequence[str], idx: np.ndarray) -> pl.Series:
    return pl.Series(list(values), dtype=pl.String).gather(idx)


def _group_starts(counts: np.ndarray) -> np.ndarray:
    return np.cumsum(counts) - counts


def _within(counts: np.ndarray) -> np.ndarray:
    """0..n-1 inside each group of a flat array grouped by ``counts``."""
    return np.arange(int(counts.sum())) - np.repeat(_group_starts(counts), counts)


def _rep_bases(n_reps: int) -> tuple[np.ndarray, np.ndarray]:
    k = np.arange(n_reps)
    return np.array(_OPEN_PATTERN)[k % 5], np.array(_CLOSED_PATTERN)[k % 5]


def _team_reps(teams: int) -> int:
    return sum(_TEAM_SIZES[t % len(_TEAM_SIZES)] for t in range(teams))


def scale_for(n_deals: int, *, teams: int = 4) -> float:
    """The ``scale`` that gives about ``n_deals`` deals (within a few deals per rep of rounding).

    At scale 1 each rep has 8-12 open and 14-22 closed deals (a fixed pattern: 1002 deals for the
    default 36 reps), and ``scale`` multiplies both, so ``scale_for(1_000_000)`` is about 998.
    """
    o, c = _rep_bases(_team_reps(teams))
    return n_deals / float(o.sum() + c.sum())


# --- the company --------------------------------------------------------------------------------

def generate_company(seed: int = 7, *, teams: int = 4, scale: float = 1.0) -> Company:
    """Generate the company: teams, reps, deals with their stage history, and the planted problems.

    ``teams`` (1-11; default 4) teams of 6, 8, 10, 12, 6, ... reps; ``scale`` multiplies the deals
    per rep (see :func:`scale_for`). Deterministic in ``seed``.
    """
    if not 1 <= teams <= len(_TEAMS):
        raise ValueError(f"teams must be between 1 and {len(_TEAMS)}, got {teams}")
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    rng = np.random.default_rng(seed)
    users, roles = _people(rng, teams)
    n_reps = _team_reps(teams)
    rep_team = users["team"].to_numpy()[:n_reps]
    o_base, c_base = _rep_bases(n_reps)
    n_open = np.floor(scale * o_base + 0.5).astype(np.int64)
    n_closed = np.floor(scale * c_base + 0.5).astype(np.int64)
    per_rep = n_open + n_closed
    n = int(per_rep.sum())
    if n == 0:
        raise ValueError(f"scale {scale} gives no deals; use scale_for(n_deals)")
    rep = np.repeat(np.arange(n_reps), per_rep)
    is_open = _within(per_rep) < n_open[rep]

    # path template per deal
    kind = rng.choice(len(_KINDS), size=n, p=_KIND_P)
    tmpl = np.empty(n, dtype=np.int64)
    for k in range(len(_KINDS)):
        for openness in (True, False):
            mask = (kind == k) & (is_open == openness)
            ids = [i for i, (_, kk, o, _) in enumerate(_CATALOG) if kk == k and o == openness]
            w = np.array([_CATALOG[i][3] for i in ids])
            tmpl[mask] = np.array(ids)[rng.choice(len(ids), size=int(mask.sum()), p=w / w.sum())]
    t_len = np.array([len(p) for p, *_ in _CATALOG])
    t_start = _group_starts(t_len)
    t_flat = np.concatenate([np.array(p) for p, *_ in _CATALOG])

    n_ev = t_len[tmpl]
    ev_deal = np.repeat(np.arange(n), n_ev)
    ev_pos = _within(n_ev)
    ev_stage = t_flat[t_start[tmpl][ev_deal] + ev_pos]
    ev_last = ev_pos == n_ev[ev_deal] - 1
    closing = ev_stage >= 4

    # stays (minutes until the next entry; for an open deal's current stage, until AS_OF 00:00)
    max_days = np.array((*MAX_DAYS, 99, 99))[ev_stage]
    hi = np.where(ev_last, max_days - 2, max_days - 1) * _DAY
    # short stays in backward deals: HubSpot keeps only the latest entries, and the lost ones must
    # not add up to an apparent over-limit stay there
    hi = np.where(kind[ev_deal] == 2, np.minimum(hi, 3 * _DAY), hi)
    stay = rng.integers(_MIN_STAY, hi + 1)
    stay[closing] = 0
    is_over = kind == 4
    n_seg = n_ev - (~is_open)
    over_ev = (_group_starts(n_ev) + np.floor(rng.random(n) * n_seg).astype(np.int64))[is_over]
    over_days = np.array(MAX_DAYS)[ev_stage[over_ev]] + rng.integers(1, 26, len(over_ev))
    stay[over_ev] = over_days * _DAY + rng.integers(0, 600, len(over_ev))
    ev_over = np.zeros(len(stay), dtype=bool)
    ev_over[over_ev] = True

    total = np.add.reduceat(stay, _group_starts(n_ev))
    span = np.maximum(_AS_OF_MIN - _DAY - total, 1)
    created = np.where(is_open, _AS_OF_MIN - total, (rng.random(n) * span).astype(np.int64))
    excl = np.cumsum(stay) - stay
    entered = created[ev_deal] + excl - excl[_group_starts(n_ev)][ev_deal]

    # ids follow creation time, as in Salesforce: reorder deals (and their events) by created
    order = np.argsort(created, kind="stable")
    ev_order = np.repeat(_group_starts(n_ev)[order], n_ev[order]) + _within(n_ev[order])
    rep, is_open, kind, tmpl, n_ev, created = (a[order] for a in (rep, is_open, kind, tmpl, n_ev, created))
    ev_stage, stay, entered, ev_over, ev_pos, ev_last, closing = (
        a[ev_order] for a in (ev_stage, stay, entered, ev_over, ev_pos, ev_last, closing))
    ev_deal = np.repeat(np.arange(n), n_ev)
    d_first = _group_starts(n_ev)
    d_last = d_first + n_ev - 1
    n_events = len(ev_stage)

    status = np.where(is_open, 0, np.where(ev_stage[d_last] == 4, 1, 2))
    closed_min = entered[d_last]
    last_open_entry = np.where(is_open, entered[d_last], entered[np.maximum(d_last - 1, d_first)])
    open_bits = np.where(closing, 0, 1 << np.minimum(ev_stage, 3))
    reached = np.bitwise_or.reduceat(open_bits, d_first)

    # fields
    currency = np.array([_TEAMS[t][1] for t in range(teams)])[rep_team[rep]]
    raw = np.exp(rng.uniform(np.log(3000), np.log(250_000), n))
    how = rng.random(n)
    amount = np.where(how < 0.4, np.maximum(np.round(raw / 500) * 500, 500),
                      np.where(how < 0.85, np.round(raw / 50) * 50, np.round(raw, 2)))
    overdue = is_open & (rng.random(n) < 0.08)
    close_day = np.where(~is_open, closed_min // _DAY,
                         np.where(overdue, _AS_OF_DAY - rng.integers(1, 61, n), _AS_OF_DAY + rng.integers(1, 151, n)))
    req_dm, req_ns = (sum(1 << i for i, st in enumerate(OPEN_STAGES) if field in REQUIRED[st])
                      for field in ("decision_maker", "next_step"))
    elig_dm = ((reached & req_dm) != 0) & ((reached & req_dm) != req_dm)
    elig_ns = ((reached & req_ns) != 0) & ((reached & req_ns) != req_ns)
    missing = (elig_dm | elig_ns) & (rng.random(n) < 0.06)
    pick_dm = elig_dm & (~elig_ns | (rng.random(n) < 0.5))
    miss_dm, miss_ns = missing & pick_dm, missing & ~pick_dm
    miss_stage = np.where(miss_dm, np.where(reached & 2, 1, 3), np.where(reached & 4, 2, 3))
    has_dm = (((reached & req_dm) != 0) | (rng.random(n) < 0.5)) & ~miss_dm
    has_ns = (((reached & req_ns) != 0) | (rng.random(n) < 0.4)) & ~miss_ns
    last_activity = np.where(is_open,
                             last_open_entry + (rng.random(n) * (_AS_OF_MIN - last_open_entry)).astype(np.int64),
                             last_open_entry + (rng.random(n) * (closed_min - last_open_entry + 1)).astype(np.int64))
    company_names = [f"{p} {s}" for p in _COMPANY_PREFIXES for s in _COMPANY_SUFFIXES] + list(_COMPANY_SPECIALS)
    company = rng.integers(0, len(company_names), n)
    product = rng.integers(0, len(_PRODUCTS), n)
    dm_first = rng.integers(0, 1 << 30, n)
    dm_last = rng.integers(0, 1 << 30, n)
    next_step = rng.integers(0, len(_NEXT_STEPS), n)

    # who moved each stage: the owner, sometimes the team's manager (never for the creation)
    by_manager = (ev_pos > 0) & (rng.random(n_events) < 0.1)
    ev_user = np.where(by_manager, n_reps + rep_team[rep][ev_deal], rep[ev_deal])

    deal_ids = _sf_ids("006", _id_numbers(rng, n, 40))
    user_names = users["name"]
    firsts = [f for pool in _NAMES.values() for f in pool[0]]
    lasts = [lname for pool in _NAMES.values() for lname in pool[1]]
    team_names = [t for t, _, _ in _TEAMS[:teams]]
    manager_names = user_names.slice(n_reps, teams)

    deals = pl.DataFrame({
        S.DEAL_ID: deal_ids,
        "_company": _pick(company_names, company),
        "_product": _pick(_PRODUCTS, product),
        S.OWNER_ID: users["user_id"].gather(rep),
        S.OWNER_NAME: user_names.gather(rep),
        S.TEAM_NAME: _pick(team_names, rep_team[rep]),
        S.MANAGER_NAME: manager_names.gather(rep_team[rep]),
        S.STAGE: _pick(STAGES, ev_stage[d_last]),
        S.STATUS: _pick(S.STATUSES, status),
        S.AMOUNT: amount,
        S.CURRENCY: pl.Series(currency, dtype=pl.String),
        S.CREATED_AT: _datetimes(created),
        S.CLOSED_AT: _datetimes(closed_min, ~is_open),
        S.CLOSE_DATE: _dates(close_day),
        S.LAST_ACTIVITY_AT: _datetimes(last_activity),
        "next_step": _pick(_NEXT_STEPS, next_step),
        "_dm_first": _pick(firsts, dm_first % len(firsts)),
        "_dm_last": _pick(lasts, dm_last % len(lasts)),
        "_has_dm": has_dm, "_has_ns": has_ns,
    }).with_columns(
        pl.int_range(1, pl.len() + 1).over("_company", "_product").alias("_n"),
    ).select(
        S.DEAL_ID,
        pl.concat_str("_company", pl.lit(" - "), "_product", pl.lit(" "), pl.col("_n").cast(pl.String))
        .alias(S.DEAL_NAME),
        S.OWNER_ID, S.OWNER_NAME, S.TEAM_NAME, S.MANAGER_NAME, S.STAGE, S.STATUS, S.AMOUNT, S.CURRENCY,
        S.CREATED_AT, S.CLOSED_AT, S.CLOSE_DATE, S.LAST_ACTIVITY_AT,
        pl.when("_has_ns").then("next_step").alias("next_step"),
        pl.when("_has_dm").then(pl.concat_str("_dm_first", pl.lit(" "), "_dm_last")).alias("decision_maker"),
    )

    stage_events = pl.DataFrame({
        S.DEAL_ID: deal_ids.gather(ev_deal),
        S.STAGE: _pick(STAGES, ev_stage),
        S.ENTERED_AT: _datetimes(entered),
        S.CHANGED_BY: user_names.gather(ev_user),
    })

    reps = users.slice(0, n_reps).select(
        pl.col("user_id").alias(S.OWNER_ID), pl.col("name").alias(S.OWNER_NAME),
        pl.col("team_name").alias(S.TEAM_NAME),
        manager_names.gather(rep_team).alias(S.MANAGER_NAME), pl.col("active").alias(S.ACTIVE))

    # ground truth
    t_flag = np.array([FLAGS.index(_path_flags(p)[0][0]) if _path_flags(p) else -1 for p, *_ in _CATALOG])
    t_flag_stage = np.array([_path_flags(p)[0][1] if _path_flags(p) else -1 for p, *_ in _CATALOG])
    path_deal = np.flatnonzero(np.isin(kind, (1, 2, 3)))
    over_idx = np.flatnonzero(ev_over)
    parts = [
        (path_deal, t_flag[tmpl[path_deal]], t_flag_stage[tmpl[path_deal]], np.full(len(path_deal), "")),
        (ev_deal[over_idx], np.full(len(over_idx), FLAGS.index("over_time_limit")), ev_stage[over_idx],
         np.char.add("days=", (stay[over_idx] // _DAY).astype(str))),
        (np.flatnonzero(missing), np.full(int(missing.sum()), FLAGS.index("missing_required_field")),
         miss_stage[missing], np.where(miss_dm[missing], "field=decision_maker", "field=next_step")),
        (np.flatnonzero(overdue), np.full(int(overdue.sum()), FLAGS.index("overdue_close_date")),
         ev_stage[d_last][overdue], np.full(int(overdue.sum()), "")),
    ]
    p_deal = np.concatenate([p[0] for p in parts]).astype(np.int64)
    p_flag = np.concatenate([p[1] for p in parts]).astype(np.int64)
    p_order = np.lexsort((p_flag, p_deal))
    planted = pl.DataFrame({
        S.DEAL_ID: deal_ids.gather(p_deal[p_order]),
        "flag": _pick(FLAGS, p_flag[p_order]),
        S.STAGE: _pick(STAGES, np.concatenate([p[2] for p in parts]).astype(np.int64)[p_order]),
        "detail": pl.Series(np.concatenate([p[3] for p in parts]).astype(str)[p_order], dtype=pl.String),
    }).with_columns(pl.col("detail").replace("", None))

    history = _sf_history(rng, n=n, n_ev=n_ev, is_open=is_open, ev_deal=ev_deal, ev_stage=ev_stage,
                          entered=entered, stay=stay, ev_user=ev_user, rep=rep, amount=amount,
                          close_day=close_day, deal_ids=deal_ids, user_ids=users["user_id"])
    return Company(deals=deals, stage_events=stage_events, reps=reps, planted=planted, users=users,
                   roles=roles, history=history, seed=seed)


def _sf_history(rng: np.random.Generator, *, n: int, n_ev: np.ndarray, is_open: np.ndarray,
                ev_deal: np.ndarray, ev_stage: np.ndarray, entered: np.ndarray, stay: np.ndarray,
                ev_user: np.ndarray, rep: np.ndarray, amount: np.ndarray, close_day: np.ndarray,
                deal_ids: pl.Series, user_ids: pl.Series) -> pl.DataFrame:
    """Salesforce OpportunityHistory: the stage entries plus, for about a third of the deals, rows
    where only the amount or the close date changed, placed strictly inside the stays."""
    d_first = _group_starts(n_ev)
    extra = np.where(rng.random(n) < 1 / 3, rng.integers(4, 37, n), 0)
    x_deal = np.repeat(np.arange(n), extra)
    # a point in the deal's open life, uniformly, then the stay that holds it (closing entries have
    # no stay, so they are never picked)
    ends = np.cumsum(stay)
    life = np.add.reduceat(stay, d_first)
    target = (ends[d_first] - stay[d_first])[x_deal] + (rng.random(len(x_deal)) * life[x_deal]).astype(np.int64)
    x_ev = np.sort(np.searchsorted(ends, target, side="right"))       # x_deal is unchanged: in deal order
    per_ev = np.bincount(x_ev, minlength=len(ev_stage))
    rank = np.arange(len(x_ev)) - _group_starts(per_ev)[x_ev]
    # evenly inside the stay: stays are >= 120 minutes and hold at most 36 rows, so every row
    # gets its own minute strictly between the entries
    x_time = entered[x_ev] + ((rank + 1) * stay[x_ev]) // (per_ev[x_ev] + 1)
    x_kind = rng.integers(1, 3, len(x_ev))                      # 1 amount changed, 2 close date changed

    # rows in (deal, time) order without a sort: each stage entry, then the rows inside its stay
    ev_row = np.arange(len(ev_stage)) + _group_starts(per_ev)
    x_row = ev_row[x_ev] + 1 + rank

    def merged(of_events: np.ndarray, of_extras: np.ndarray) -> np.ndarray:
        out = np.empty(len(ev_row) + len(x_row), dtype=np.int64)
        out[ev_row], out[x_row] = of_events, of_extras
        return out

    h_deal = merged(ev_deal, x_deal)
    h_time = merged(entered, x_time)
    h_kind = merged(np.zeros(len(ev_deal), dtype=np.int64), x_kind)
    h_stage = merged(ev_stage, ev_stage[x_ev])
    h_user = merged(ev_user, rep[x_deal])
    counts = np.bincount(h_deal, minlength=n)
    starts = _group_starts(counts)

    def version(is_kind: np.ndarray) -> np.ndarray:
        """How many changes of this kind are still to come after each row, within its deal."""
        cum = np.cumsum(is_kind)
        total = np.add.reduceat(is_kind, starts)
        done = cum - (cum[starts] - is_kind[starts])[h_deal]
        return total[h_deal] - done

    to_come_a = version((h_kind == 1).astype(np.int64))
    to_come_c = version((h_kind == 2).astype(np.int64))
    n_a = np.maximum(np.bincount(x_deal[x_kind == 1], minlength=n), 1)
    n_c = np.bincount(x_deal[x_kind == 2], minlength=n)
    # the amount grows to its final value; the expected close date slips towards its final value
    # (a closed deal's closing row has the real close date)
    h_amount = np.round(amount[h_deal] * (1 - 0.4 * to_come_a / n_a[h_deal]), 2)
    created_day = entered[d_first] // _DAY
    expected = np.where(is_open, close_day, close_day + rng.integers(-20, 31, n))
    step = np.clip((expected - created_day) // (n_c + 1), 1, 14)
    h_close = np.where(h_stage >= 4, close_day[h_deal], expected[h_deal] - step[h_deal] * to_come_c)
    return pl.DataFrame({
        "history_id": _sf_ids("008", _id_numbers(rng, len(h_deal), 20)),
        S.DEAL_ID: deal_ids.gather(h_deal),
        "created_by": user_ids.gather(h_user),
        S.ENTERED_AT: _datetimes(h_time),
        S.STAGE: _pick(STAGES, h_stage),
        S.AMOUNT: h_amount,
        S.CLOSE_DATE: _dates(h_close),
        "probability": np.array(_PROBABILITY)[h_stage],
    })


# --- writing ------------------------------------------------------------------------------------

_SF_DATETIME = "%Y-%m-%d %H:%M:%S"
_US_DATE = "%-m/%-d/%Y"
_US_DATETIME = "%-m/%-d/%Y %-I:%M %p"
_GENERATED_AT = "6/30/2025 5:04 PM"


def write_samples(out_dir: Path, *, seed: int = 7, scale: float = 1.0,
                  formats: Sequence[str] = FORMATS) -> dict[str, list[Path]]:
    """Write the company's exports, one sub-folder per format, plus ``ground_truth.csv`` and
    ``README.md`` in ``out_dir``. Returns the files written per format (``"ground_truth"``: the two
    top-level files). Files not written here (e.g. ``generic_fr/mapping.yaml``) are left alone.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format(s) {unknown}; choose from {list(FORMATS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    company = generate_company(seed, scale=scale)
    writers = {"salesforce_export": _write_salesforce_export, "salesforce_report": _write_salesforce_report,
               "hubspot": _write_hubspot, "pipedrive": _write_pipedrive, "generic_fr": _write_generic_fr}
    written: dict[str, list[Path]] = {}
    for fmt in FORMATS:
        if fmt in formats:
            folder = out_dir / fmt
            folder.mkdir(exist_ok=True)
            files = writers[fmt](company, folder)
            if fmt != "salesforce_export":
                files.append(_write_roster(company, folder))
            written[fmt] = files
    truth = out_dir / "ground_truth.csv"
    company.planted.write_csv(truth)
    readme = out_dir / "README.md"
    readme.write_text(_readme(company, scale, [f for f in FORMATS if f in formats]), encoding="utf-8")
    written["ground_truth"] = [truth, readme]
    return written


def _readme(company: Company, scale: float, formats: list[str]) -> str:
    about = {
        "salesforce_export": "Salesforce weekly Data Export / Data Loader: Opportunity.csv, OpportunityHistory.csv "
                             "(stage changes plus amount/close-date-only rows), User.csv, UserRole.csv (team = role).",
        "salesforce_report": "a Salesforce report exported as CSV (Details Only, US dates, report footer): "
                             "opportunities.csv and an Opportunity History report, stage_history.csv.",
        "hubspot": f"HubSpot CRM > Deals > Export ({_HUBSPOT_FILE}); stage history as Date entered/exited columns, "
                   "which keep only the latest entry per stage.",
        "pipedrive": f"Pipedrive deals export ({_PIPEDRIVE_FILE}; won/lost are statuses) and the deal-flow API's "
                     f"items ({_PIPEDRIVE_FLOW}).",
        "generic_fr": "a French-locale CRM: cp1252, ';', CRLF, decimal comma, dd/mm/yyyy; affaires.csv and "
                      "historique.csv.",
    }
    d = company.deals
    lines = [
        f"# Sample exports of {COMPANY_NAME} (fictional)",
        "",
        "Generated by `toolkit samples` (`toolkit/samples.py`); do not edit by hand.",
        "",
        f"- seed: {company.seed}, scale: {scale:g}; as of {AS_OF.isoformat()} (history from "
        f"{HISTORY_START.isoformat()})",
        f"- {d.height} deals ({d.filter(pl.col(S.STATUS) == 'open').height} open), "
        f"{company.stage_events.height} stage entries, {company.reps.height} reps in "
        f"{company.reps[S.TEAM_NAME].n_unique()} teams",
        f"- `ground_truth.csv`: the {company.planted.height} planted process problems (deal_id, flag, stage, "
        "detail), exactly what a correct checker finds. HubSpot loses backward moves (it keeps the latest "
        "entry per stage).",
        "- every folder but salesforce_export has `roster.csv` (owner,team,manager)",
        "",
    ]
    lines += [f"- `{f}/`: {about[f]}" for f in formats]
    return "\n".join(lines) + "\n"


def _write_roster(company: Company, folder: Path) -> Path:
    path = folder / "roster.csv"
    company.reps.select(pl.col(S.OWNER_NAME).alias("owner"), pl.col(S.TEAM_NAME).alias("team"),
                        pl.col(S.MANAGER_NAME).alias("manager")).write_csv(path)
    return path


def _events_with_previous(company: Company) -> pl.DataFrame:
    """Stage events with the deal's previous stage and the next entry (the exit), per deal in time order."""
    return company.stage_events.with_columns(
        pl.col(S.STAGE).shift(1).over(S.DEAL_ID).alias("_prev"),
        pl.col(S.ENTERED_AT).shift(-1).over(S.DEAL_ID).alias("_exit"),
    )


def _grouped(amount: pl.Expr, sep: pl.Expr, decimal: str) -> pl.Expr:
    """An amount with thousands separators and two decimals: 12,500.00 or 12 500,00."""
    cents = (amount * 100).round(0).cast(pl.Int64)
    whole, frac = cents // 100, cents % 100

    def pad(e: pl.Expr) -> pl.Expr:
        return e.cast(pl.String).str.zfill(3)

    millions, thousands, units = whole // 1_000_000, (whole // 1000) % 1000, whole % 1000
    text = (pl.when(whole >= 1_000_000)
            .then(pl.concat_str(millions.cast(pl.String), sep, pad(thousands), sep, pad(units)))
            .when(whole >= 1000).then(pl.concat_str(thousands.cast(pl.String), sep, pad(units)))
            .otherwise(units.cast(pl.String)))
    return pl.concat_str(text, pl.lit(decimal), frac.cast(pl.String).str.zfill(2))


def _write_salesforce_export(company: Company, folder: Path) -> list[Path]:
    d, h = company.deals, company.history
    quoted = {"quote_style": "always", "datetime_format": _SF_DATETIME, "date_format": "%Y-%m-%d"}
    last_change = h.group_by(S.DEAL_ID).agg(pl.col(S.ENTERED_AT).max().alias("_last"))
    opp = d.join(last_change, on=S.DEAL_ID, how="left", maintain_order="left").select(
        pl.col(S.DEAL_ID).alias("Id"),
        pl.lit(False).alias("IsDeleted"),
        pl.col(S.DEAL_NAME).alias("Name"),
        pl.col(S.STAGE).alias("StageName"),
        pl.col(S.AMOUNT).alias("Amount"),
        pl.col(S.CURRENCY).alias("CurrencyIsoCode"),
        pl.col(S.CLOSE_DATE).alias("CloseDate"),
        (pl.col(S.STATUS) != "open").alias("IsClosed"),
        (pl.col(S.STATUS) == "won").alias("IsWon"),
        pl.col(S.OWNER_ID).alias("OwnerId"),
        pl.col(S.CREATED_AT).alias("CreatedDate"),
        pl.col(S.LAST_ACTIVITY_AT).cast(pl.Date).alias("LastActivityDate"),
        pl.col("next_step").alias("NextStep"),
        pl.col("decision_maker").alias("Decision_Maker__c"),
        pl.max_horizontal("_last", S.LAST_ACTIVITY_AT).alias("LastModifiedDate"),
    )
    hist = h.select(
        pl.col("history_id").alias("Id"),
        pl.col(S.DEAL_ID).alias("OpportunityId"),
        pl.col("created_by").alias("CreatedById"),
        pl.col(S.ENTERED_AT).alias("CreatedDate"),
        pl.col(S.STAGE).alias("StageName"),
        pl.col(S.AMOUNT).alias("Amount"),
        pl.col(S.CLOSE_DATE).alias("CloseDate"),
        pl.col("probability").alias("Probability"),
        pl.lit(False).alias("IsDeleted"),
    )
    users = company.users.select(
        pl.col("user_id").alias("Id"), pl.col("name").alias("Name"), pl.col("first_name").alias("FirstName"),
        pl.col("last_name").alias("LastName"), pl.col("role_id").alias("UserRoleId"),
        pl.col("manager_id").alias("ManagerId"), pl.col("active").alias("IsActive"))
    roles = company.roles.select(pl.col("role_id").alias("Id"), pl.col("name").alias("Name"),
                                 pl.col("parent_role_id").alias("ParentRoleId"))
    out = []
    for name, frame in (("Opportunity.csv", opp), ("OpportunityHistory.csv", hist), ("User.csv", users),
                        ("UserRole.csv", roles)):
        frame.write_csv(folder / name, **quoted)
        out.append(folder / name)
    return out


def _report_footer(company: Company, title: str) -> str:
    generated_by = company.users.filter(pl.col("kind") == "manager")["name"][0]
    lines = [title, *_REPORT_FOOTER, f"Generated By:  {generated_by}  {_GENERATED_AT}", COMPANY_NAME]
    return "\n" + "".join(f'"{line}"\n' for line in lines)


def _write_salesforce_report(company: Company, folder: Path) -> list[Path]:
    d = company.deals
    opp = d.select(
        pl.col(S.DEAL_ID).alias("Opportunity ID"),
        pl.col(S.DEAL_NAME).alias("Opportunity Name"),
        pl.col(S.OWNER_NAME).alias("Opportunity Owner"),
        pl.col(S.TEAM_NAME).alias("Owner Role"),
        pl.col(S.STAGE).alias("Stage"),
        pl.col(S.CURRENCY).alias("Amount Currency"),
        _grouped(pl.col(S.AMOUNT), pl.lit(","), ".").alias("Amount"),
        pl.col(S.CLOSE_DATE).dt.strftime(_US_DATE).alias("Close Date"),
        pl.col(S.CREATED_AT).dt.strftime(_US_DATETIME).alias("Created Date"),
        pl.col(S.CLOSED_AT).dt.strftime(_US_DATETIME).alias("Closed Date"),
        pl.col(S.LAST_ACTIVITY_AT).dt.strftime(_US_DATE).alias("Last Activity"),
        pl.col("next_step").alias("Next Step"),
        pl.col("decision_maker").alias("Decision Maker"),
    )
    names = d.select(S.DEAL_ID, S.DEAL_NAME)
    hist = _events_with_previous(company).join(names, on=S.DEAL_ID, how="left", maintain_order="left").select(
        pl.col(S.DEAL_ID).alias("Opportunity ID"),
        pl.col(S.DEAL_NAME).alias("Opportunity Name"),
        pl.col("_prev").alias("From Stage"),
        pl.col(S.STAGE).alias("To Stage"),
        pl.col(S.CHANGED_BY).alias("Edited By"),
        pl.col(S.ENTERED_AT).dt.strftime(_US_DATETIME).alias("Edit Date"),
    )
    out = []
    for name, frame, title in (("opportunities.csv", opp, "Opportunities Report"),
                               ("stage_history.csv", hist, "Opportunity History Report")):
        path = folder / name
        frame.write_csv(path, quote_style="always")
        with path.open("a", encoding="utf-8", newline="") as f:
            f.write(_report_footer(company, title))
        out.append(path)
    return out


def _write_hubspot(company: Company, folder: Path) -> list[Path]:
    d = company.deals
    fmt = "%Y-%m-%d %H:%M"
    ev = _events_with_previous(company)
    # HubSpot keeps the latest entry (and exit) per stage: earlier entries of a re-entered stage are lost
    latest = ev.group_by(S.DEAL_ID, S.STAGE, maintain_order=True).agg(
        pl.col(S.ENTERED_AT).last(), pl.col("_exit").last())
    pairs = []
    for stage in STAGES:
        entered, exited = f'Date entered "{stage} ({PIPELINE})"', f'Date exited "{stage} ({PIPELINE})"'
        pairs.append(latest.filter(pl.col(S.STAGE) == stage).select(
            S.DEAL_ID, pl.col(S.ENTERED_AT).dt.strftime(fmt).alias(entered),
            pl.col("_exit").dt.strftime(fmt).alias(exited)))
    # integer amounts come both ways ("24000" and "24000.0"), as HubSpot writes them
    amount = pl.col(S.AMOUNT).cast(pl.String)
    frame = d.with_row_index("_i").select(
        S.DEAL_ID,
        pl.col(S.DEAL_ID).alias("Record ID"),
        pl.col(S.DEAL_NAME).alias("Deal Name"),
        pl.lit(PIPELINE).alias("Pipeline"),
        pl.col(S.STAGE).alias("Deal Stage"),
        pl.when((pl.col("_i") % 2 == 0) & amount.str.ends_with(".0")).then(amount.str.strip_suffix(".0"))
        .otherwise(amount).alias("Amount"),
        pl.col(S.CURRENCY).alias("Currency"),
        pl.when(pl.col(S.STATUS) == "open").then(pl.col(S.CLOSE_DATE).dt.strftime("%Y-%m-%d 00:00"))
        .otherwise(pl.col(S.CLOSED_AT).dt.strftime(fmt)).alias("Close Date"),
        pl.col(S.CREATED_AT).dt.strftime(fmt).alias("Create Date"),
        pl.col(S.OWNER_NAME).alias("Deal owner"),
        pl.col(S.LAST_ACTIVITY_AT).dt.strftime(fmt).alias("Last Activity Date"),
        pl.col("next_step").alias("Next step"),
        pl.col("decision_maker").alias("Decision Maker"),
    )
    for p in pairs:
        frame = frame.join(p, on=S.DEAL_ID, how="left", maintain_order="left")
    path = folder / _HUBSPOT_FILE
    frame.drop(S.DEAL_ID).write_csv(path, quote_style="always")
    return [path]


def _write_pipedrive(company: Company, folder: Path) -> list[Path]:
    d = company.deals
    ev = _events_with_previous(company)
    open_names = pl.col(S.STAGE).is_in(list(OPEN_STAGES))
    per_deal = ev.group_by(S.DEAL_ID, maintain_order=True).agg(
        pl.col(S.STAGE).filter(open_names).last().alias("_last_open"),
        pl.col(S.ENTERED_AT).filter(open_names & pl.col("_prev").is_not_null()).max().alias("_last_change"))
    deals = d.join(per_deal, on=S.DEAL_ID, how="left", maintain_order="left").select(
        pl.col(S.DEAL_ID).alias("Deal - ID"),
        pl.col(S.DEAL_NAME).alias("Deal - Title"),
        pl.col(S.OWNER_NAME).alias("Deal - Owner"),
        pl.col(S.AMOUNT).alias("Deal - Value"),
        pl.col(S.CURRENCY).alias("Deal - Currency of Value"),
        pl.lit("Pipeline").alias("Deal - Pipeline"),
        pl.col("_last_open").alias("Deal - Stage"),
        pl.col(S.STATUS).str.to_titlecase().alias("Deal - Status"),
        pl.col(S.CREATED_AT).alias("Deal - Deal created"),
        pl.col("_last_change").alias("Deal - Last stage change"),
        pl.col(S.CLOSE_DATE).alias("Deal - Expected close date"),
        pl.when(pl.col(S.STATUS) == "won").then(pl.col(S.CLOSED_AT)).alias("Deal - Won time"),
        pl.when(pl.col(S.STATUS) == "lost").then(pl.col(S.CLOSED_AT)).alias("Deal - Lost time"),
        pl.col(S.CLOSED_AT).alias("Deal - Deal closed on"),
        pl.col(S.LAST_ACTIVITY_AT).cast(pl.Date).alias("Deal - Last activity date"),
        pl.col("next_step").alias("Deal - Next step"),
        pl.col("decision_maker").alias("Deal - Decision maker"),
    )
    path = folder / _PIPEDRIVE_FILE
    deals.write_csv(path, datetime_format=_SF_DATETIME, date_format="%Y-%m-%d")

    stage_no = {s: str(i) for s, i in zip(OPEN_STAGES, _PIPEDRIVE_STAGE_IDS, strict=True)}
    status_of = {WON: "won", LOST: "lost"}
    users = company.users.select(pl.col("name").alias(S.CHANGED_BY), "pipedrive_user_id")
    moves = ev.filter(pl.col("_prev").is_not_null()).join(users, on=S.CHANGED_BY, how="left",
                                                         maintain_order="left")
    closing = pl.col(S.STAGE).is_in([WON, LOST])
    old = pl.when(closing).then(pl.lit("open")).otherwise(pl.col("_prev").replace_strict(stage_no, default=None))
    new = pl.when(closing).then(pl.col(S.STAGE).replace_strict(status_of, default=None)) \
        .otherwise(pl.col(S.STAGE).replace_strict(stage_no, default=None))
    log_time = pl.col(S.ENTERED_AT).dt.strftime(_SF_DATETIME)
    flow = moves.with_row_index("_i").select(
        pl.lit("dealChange").alias("object"),
        log_time.alias("timestamp"),
        pl.struct(
            (pl.col("_i").cast(pl.Int64) + 7_000_001).alias("id"),
            pl.col(S.DEAL_ID).alias("item_id"),
            pl.col("pipedrive_user_id").alias("user_id"),
            pl.when(closing).then(pl.lit("status")).otherwise(pl.lit("stage_id")).alias("field_key"),
            old.alias("old_value"),
            new.alias("new_value"),
            log_time.alias("log_time"),
            pl.struct(pl.when(closing).then(pl.lit("open")).otherwise(pl.col("_prev")).alias("old_value_formatted"),
                      pl.when(closing).then(new).otherwise(pl.col(S.STAGE)).alias("new_value_formatted"))
            .alias("additional_data"),
        ).alias("data"),
    )
    flow_path = folder / _PIPEDRIVE_FLOW
    flow.write_ndjson(flow_path)
    return [path, flow_path]


def _write_cp1252(frame: pl.DataFrame, path: Path, **options: object) -> None:
    """Write a CSV in cp1252, in slices so that a million rows never sit in memory as one string."""
    with path.open("wb") as f:
        for i, start in enumerate(range(0, max(frame.height, 1), 200_000)):
            text = frame.slice(start, 200_000).write_csv(include_header=i == 0, **options)  # type: ignore[call-overload]
            f.write(text.encode("cp1252"))


def _write_generic_fr(company: Company, folder: Path) -> list[Path]:
    d = company.deals
    options: dict[str, object] = {"separator": ";", "line_terminator": "\r\n", "datetime_format": "%d/%m/%Y %H:%M",
                                  "date_format": "%d/%m/%Y"}
    # thousands separated by a plain space in some rows and a no-break space in others (U+202F,
    # the other French habit, is not in cp1252)
    sep = pl.when(pl.int_range(pl.len()) % 3 == 0).then(pl.lit("\u00a0")).otherwise(pl.lit(" "))
    affaires = d.select(
        pl.col(S.DEAL_ID).alias("Réf"),
        pl.col(S.DEAL_NAME).alias("Intitulé"),
        pl.col(S.OWNER_NAME).alias("Commercial"),
        pl.col(S.TEAM_NAME).alias("Équipe"),
        pl.col(S.MANAGER_NAME).alias("Responsable"),
        pl.col(S.STAGE).alias("Étape"),
        pl.col(S.STATUS).replace_strict({"open": "Ouvert", "won": "Gagné", "lost": "Perdu"}).alias("Statut"),
        pl.concat_str(_grouped(pl.col(S.AMOUNT), sep, ","), sep,
                      pl.col(S.CURRENCY).replace_strict(_SYMBOL)).alias("Montant"),
        pl.col(S.CREATED_AT).alias("Date de création"),
        pl.col(S.CLOSE_DATE).alias("Date de clôture prévue"),
        pl.col(S.CLOSED_AT).alias("Clôturé le"),
        pl.col(S.LAST_ACTIVITY_AT).alias("Dernière activité"),
        pl.col("next_step").alias("Prochaine étape"),
        pl.col("decision_maker").alias("Décideur"),
    )
    historique = company.stage_events.select(
        pl.col(S.DEAL_ID).alias("Réf"), pl.col(S.STAGE).alias("Étape"),
        pl.col(S.ENTERED_AT).alias("Date d'entrée"), pl.col(S.CHANGED_BY).alias("Modifié par"))
    out = []
    for name, frame in (("affaires.csv", affaires), ("historique.csv", historique)):
        _write_cp1252(frame, folder / name, **options)
        out.append(folder / name)
    (folder / "mapping.yaml").write_text(GENERIC_FR_MAPPING, encoding="utf-8")
    out.append(folder / "mapping.yaml")
    return out


#: How the toolkit reads the French export: a generic mapping, as a user of any CRM would write.
GENERIC_FR_MAPPING = """\
# The French-locale export of the sample company: cp1252, ';', decimal comma, dd/mm/yyyy dates.
files:
  deals: affaires.csv
  stage_events: historique.csv
encoding: cp1252
delimiter: ";"
decimal: ","
date_style: dmy
columns:
  deals:
    deal_id: Réf
    deal_name: Intitulé
    owner_name: Commercial
    team_name: Équipe
    manager_name: Responsable
    stage_raw: Étape
    status: Statut
    amount: Montant
    created_at: Date de création
    close_date: Date de clôture prévue
    closed_at: Clôturé le
    last_activity_at: Dernière activité
    next_step: Prochaine étape
    decision_maker: Décideur
  stage_events:
    deal_id: Réf
    stage_raw: Étape
    entered_at: Date d'entrée
    changed_by: Modifié par
status: {column: status, open: [Ouvert], won: [Gagné], lost: [Perdu]}
"""
