"""A seeded generator of one fictional company's CRM exports, with the process problems planted in
them written down as ground truth.

The company (Northwind Instruments) sells through teams of 6-12 reps (Nordics, DACH, US East,
US West, ...); European teams sell in EUR, US teams in USD. It configured the same pipeline in
every CRM: the toolkit's default process (``toolkit/data/default_process.yaml``), whose four open
stages, time limits and required fields the generator reads with :func:`toolkit.process.load_process`;
a deal is won from the last open stage and lost from any. History starts on 2024-07-01;
:data:`AS_OF` (2025-06-30) is the samples' "today" and every timestamp lies before it, at minute
resolution, timezone-naive.

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

from collections.abc import Callable, Sequence
from pathlib import Path

from toolkit.samples.arrays import AS_OF, HISTORY_START
from toolkit.samples.company import Company, generate_company, scale_for
from toolkit.samples.generic_fr import GENERIC_FR_MAPPING, write_generic_fr
from toolkit.samples.hubspot import write_hubspot
from toolkit.samples.paths import FLAGS
from toolkit.samples.pipedrive import write_pipedrive
from toolkit.samples.readme import readme
from toolkit.samples.salesforce_export import write_salesforce_export
from toolkit.samples.salesforce_report import write_salesforce_report
from toolkit.samples.writing import write_roster

__all__ = ["AS_OF", "FLAGS", "FORMATS", "GENERIC_FR_MAPPING", "HISTORY_START", "Company", "generate_company",
           "scale_for", "write_samples"]

_WRITERS: dict[str, Callable[[Company, Path], list[Path]]] = {
    "salesforce_export": write_salesforce_export, "salesforce_report": write_salesforce_report,
    "hubspot": write_hubspot, "pipedrive": write_pipedrive, "generic_fr": write_generic_fr}
FORMATS: tuple[str, ...] = tuple(_WRITERS)


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
    written: dict[str, list[Path]] = {}
    for fmt in FORMATS:
        if fmt in formats:
            folder = out_dir / fmt
            folder.mkdir(exist_ok=True)
            files = _WRITERS[fmt](company, folder)
            if fmt != "salesforce_export":
                files.append(write_roster(company, folder))
            written[fmt] = files
    truth = out_dir / "ground_truth.csv"
    company.planted.write_csv(truth)
    readme_path = out_dir / "README.md"
    readme_path.write_text(readme(company, scale, [f for f in FORMATS if f in formats]), encoding="utf-8")
    written["ground_truth"] = [truth, readme_path]
    return written
