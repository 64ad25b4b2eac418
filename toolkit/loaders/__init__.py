"""Loaders: CRM export files in, canonical tables and a complete ledger out.

:func:`load` takes a file or a folder, recognises the source from file names and headers (or takes
``source=`` / ``mapping=``), and says which it chose.
"""

from __future__ import annotations

import csv
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.errors import ConfigError, FormatDetectionError, InputFileError
from toolkit.loaders.sniff import binary_kind

if TYPE_CHECKING:
    from toolkit.loaders.common import ReadFile, Roster
    from toolkit.model import Dataset
    from toolkit.process import Process

# polars, numpy and the loaders are imported by the functions that use them: the command line
# imports this package for its options, and a report run with nothing to do never loads a file.

log = logging.getLogger("toolkit.load")

SOURCES = ("salesforce", "salesforce_report", "hubspot", "hubspot_sync", "pipedrive", "generic")
#: A CRM's name stands for every layout of its exports: the files say which one it is.
CRM_LAYOUTS = {"salesforce": ("salesforce", "salesforce_report"), "hubspot": ("hubspot", "hubspot_sync"),
               "pipedrive": ("pipedrive",)}
LAYOUT_NAMES = {"salesforce": "a Salesforce Data Export", "salesforce_report": "a Salesforce report export",
                "hubspot": "a HubSpot deals export", "hubspot_sync": "a HubSpot sync (Fivetran-style tables)",
                "pipedrive": "a Pipedrive deals export", "generic": "a generic export read through a mapping"}
DATE_STYLES = ("iso", "dmy", "mdy")
MAPPING_NAMES = ("mapping.yaml", "mapping.yml")
ROSTER_NAMES = ("roster.csv", "roster.xlsx")


@dataclass(frozen=True)
class Detection:
    """Which source a path is, and why."""

    source: str
    reason: str
    #: What kind of file it is, in words ("a Salesforce report export").
    layout: str = ""


def _peek_header_names(path: Path, lines: int = 30) -> set[str]:
    """snake_case names of every field in the first lines of a file (header may follow a preamble)."""
    from toolkit.loaders.common import snake
    from toolkit.loaders.encodings import head_text
    from toolkit.loaders.layout import detect_delimiter

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception:  # an unreadable workbook is reported by the loader, not here
            return set()
        ws = wb.worksheets[0]
        names = {snake(str(v)) for row in ws.iter_rows(max_row=lines, values_only=True) for v in row if v is not None}
        wb.close()
        return names
    with path.open("rb") as fh:
        head = fh.read(65536)
    if not head.strip():
        return set()
    kind = binary_kind(head)
    if kind is not None:
        raise InputFileError("CSV or Excel export files", f"{path.name} is {kind}",
                             "export the data again as CSV or .xlsx, or remove the file from the folder")
    text = head_text(head)
    sample = "\n".join(text.split("\n")[:lines])
    reader = csv.reader(sample.split("\n"), delimiter=detect_delimiter(sample))
    return {snake(f) for row in reader for f in row if f.strip()}


def detect_source(path: Path) -> Detection:
    """The source of an export file or folder, from file names and header names."""
    from toolkit.loaders.common import first_line_fields

    if path.suffix.lower() in (".yaml", ".yml"):
        return Detection("generic", f"{path.name} is a mapping file")
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    if path.is_dir():
        for name in MAPPING_NAMES:
            if (path / name).is_file():
                return Detection("generic", f"{name} in the folder")
    data_files = [p for p in files if p.suffix.lower() in (".csv", ".xlsx", ".xlsm", ".txt", ".tsv")
                  and p.name.lower() not in ROSTER_NAMES]
    if not data_files:
        raise InputFileError("CSV or Excel export files", f"none in {path}",
                             "pass the folder the CRM export was saved to")
    peeks: dict[Path, set[str]] = {}
    binary: list[InputFileError] = []
    for p in data_files:
        try:
            peeks[p] = _peek_header_names(p)
        except InputFileError as exc:
            # A stray binary file beside the export does not hide the export; alone, it is named.
            binary.append(exc)
    if binary and not peeks:
        raise binary[0]
    for p, names in peeks.items():
        if {"deal_title", "deal_stage"} & names and any(n.startswith("deal_") for n in names) and "deal_title" in names:
            return _found("pipedrive", f"{p.name} has Pipedrive's 'Deal - Title' column")
        if {"record_id", "deal_stage"} <= names or {"deal_name", "deal_stage", "deal_owner"} <= names:
            return _found("hubspot", f"{p.name} has HubSpot's 'Record ID'/'Deal Stage' columns")
        if "deal_pipeline_stage_id" in names:
            return _found("hubspot_sync", f"{p.name} has the sync's deal_pipeline_stage_id column")
    from toolkit.loaders.headers import VENDOR_NAMES, detect, looks_like, unknown_language_hint
    for p, names in peeks.items():
        hs = detect(names)
        if hs is not None:
            vendor = VENDOR_NAMES[hs.vendor]
            return Detection(hs.vendor, f"{p.name} has {vendor}'s deals headers in {hs.name}",
                             f"a {vendor} deals export, {hs.name} headers")
    for p, names in peeks.items():
        if {"stage_name", "id"} <= names and {"close_date", "is_closed", "is_won"} & names:
            synced = "_fivetran_synced" in names or "_fivetran_active" in names or p.stem.lower().startswith("sf_")
            layout = "a Salesforce sync (Fivetran-style tables)" if synced else LAYOUT_NAMES["salesforce"]
            return Detection("salesforce", f"{p.name} has Salesforce's Id/StageName/CloseDate fields", layout)
    for p, names in peeks.items():
        if {"opportunity_name", "stage"} <= names:
            return _found("salesforce_report", f"{p.name} has a Salesforce report's 'Opportunity Name'/'Stage'")
    for p in peeks:
        vendor_guess = looks_like(p.stem, first_line_fields(p))
        if vendor_guess is not None:
            raise FormatDetectionError("a Salesforce, HubSpot or Pipedrive export, or a mapping file",
                                       f"{p.name}, whose headers match none of the known ones",
                                       unknown_language_hint(vendor_guess))
    raise FormatDetectionError("a Salesforce, HubSpot or Pipedrive export, or a mapping file",
                               f"files {[p.name for p in data_files]} whose headers match none of them",
                               f"pass --source (source=) one of {SOURCES}, or --mapping (mapping=) PATH for other CRMs")


def _found(source: str, reason: str) -> Detection:
    return Detection(source, reason, LAYOUT_NAMES[source])


def _detect_within(crm: str, path: Path) -> Detection:
    """The layout of a CRM's export (``--source salesforce``: a Data Export, a sync or a report)."""
    layouts = CRM_LAYOUTS[crm]
    try:
        found = detect_source(path)
    except FormatDetectionError:
        # Headers that match no layout: read it as the CRM's main layout, whose loader says what
        # it misses in its own words.
        return Detection(crm, f"--source {crm}", LAYOUT_NAMES[crm])
    if found.source in layouts:
        return Detection(found.source, f"--source {crm}: {found.reason}", found.layout)
    if found.source == "generic":
        return Detection(crm, f"--source {crm}", LAYOUT_NAMES[crm])
    raise FormatDetectionError(f"{' or '.join(LAYOUT_NAMES[x] for x in layouts)} (--source {crm})",
                               f"{found.layout or found.source}: {found.reason}",
                               f"pass --source {found.source.split('_')[0]}, or leave --source out to detect")


def load(path: str | Path, *, source: str | None = None, mapping: str | Path | None = None,
         roster: str | Path | None = None, process: Process | str | Path | None = None,
         date_style: str | None = None, include_deleted: bool = False) -> Dataset:
    """Load a CRM export (file or folder) into the canonical tables.

    ``source`` is one of :data:`SOURCES` (detected when omitted); ``mapping`` a mapping YAML for
    the generic loader; ``roster`` a CSV/XLSX of owner, team, manager that overrides or completes
    teams (a ``roster.csv`` in the export folder is used when none is given); ``process`` the
    sales process (the default one when omitted), used to map stage labels; ``date_style``
    (iso, dmy, mdy) settles files whose dates read either way.
    """
    from toolkit.loaders.columns import reads_kept
    from toolkit.loaders.common import Roster, read_roster
    from toolkit.loaders.states import finish_deferred, states_deferred
    from toolkit.process import Process, load_process

    p = Path(path)
    if not p.exists():
        raise InputFileError("an export file or folder", f"nothing at {p}", "check the path")
    if source is not None and source not in SOURCES:
        raise FormatDetectionError(f"source to be one of {SOURCES}", repr(source), "or leave it out to detect")
    if date_style is not None and date_style not in DATE_STYLES:
        raise FormatDetectionError(f"date_style to be one of {DATE_STYLES}", repr(date_style), "")
    given = process is not None
    proc = process if isinstance(process, Process) else load_process(process)
    if mapping is None and p.is_dir() and source in (None, "generic"):
        mapping = next((p / n for n in MAPPING_NAMES if (p / n).is_file()), None)
    if mapping is None and p.suffix.lower() in (".yaml", ".yml"):
        mapping, p = p, p.parent
    if mapping is not None:
        detection = Detection("generic", f"mapping {Path(mapping).name}")
    elif source in CRM_LAYOUTS:
        detection = _detect_within(source, p)
    elif source is not None:
        detection = Detection(source, "source given", LAYOUT_NAMES[source])
    else:
        detection = detect_source(p)
    what = f"{detection.layout}; " if detection.layout else ""
    log.info("source %s (%s%s)", detection.source, what, detection.reason)
    folder = p if p.is_dir() else p.parent
    roster_path = Path(roster) if roster is not None else next(
        (folder / n for n in ROSTER_NAMES if (folder / n).is_file()), None)
    rost, roster_file = (read_roster(roster_path, folder) if roster_path is not None else (Roster.empty(), None))
    with states_deferred() as pending:
        with reads_kept():
            # An export whose stages the default process does not know is finished a second time
            # with the process it describes; its files are read and typed once.
            ds = _dispatch(detection.source, p, mapping, proc, rost, date_style, include_deleted)
            if not given:
                ds, proc = _process_from_export(ds, proc, lambda q: _dispatch(detection.source, p, mapping, q, rost,
                                                                              date_style, include_deleted))
        # The files read are let go: the states (a row per history row) are made without them.
        finish_deferred(ds, pending)
    ds.process = proc
    ds.notes.insert(0, f"source: {detection.source} ({what}{detection.reason})")
    if roster_file is not None:
        _add_file(ds, roster_file)
    return ds


def _process_from_export(ds: Dataset, default: Process, reload: Callable[[Process], Dataset]
                         ) -> tuple[Dataset, Process]:
    """Without a process file, an export whose stages the default process does not know is
    finished again with the process the export itself describes (see
    :mod:`toolkit.process_derive`); ``reload`` finishes it from the files as first read."""
    from toolkit.process_derive import derive_process, unknown_labels

    unknown = unknown_labels(ds, default)
    if not unknown:
        return ds, default
    try:
        derivation = derive_process(ds)
    except ConfigError as exc:
        # Nothing to read a process from: the load stands, its unknown labels are reported as before.
        ds.notes.append(f"no process could be read from the export ({exc}); pass --process")
        return ds, default
    log.info("%d stage label(s) unknown to the default process: %s", len(unknown), derivation.note())
    again = reload(derivation.process)
    again.process_note = derivation.note()
    again.notes.append(again.process_note)
    return again, derivation.process


def _dispatch(source: str, p: Path, mapping: str | Path | None, proc: Process, rost: Roster,
              date_style: str | None, include_deleted: bool) -> Dataset:
    if source == "generic":
        from toolkit.loaders.generic import load_generic, load_mapping
        if mapping is None:
            raise FormatDetectionError("a mapping file for a generic CSV/Excel export", "none given",
                                       "write one (see examples/mappings) and pass mapping=PATH / --mapping")
        spec = load_mapping(mapping)
        if date_style is not None:  # the command line settles what the mapping leaves open or states
            spec = dataclasses.replace(spec, date_style=date_style)
        return load_generic(p, spec, process=proc, roster=rost)
    if source == "salesforce":
        from toolkit.loaders.salesforce import load_salesforce
        return load_salesforce(p, process=proc, roster=rost, date_style=date_style, include_deleted=include_deleted)
    if source == "salesforce_report":
        from toolkit.loaders.salesforce import load_salesforce_report
        return load_salesforce_report(p, process=proc, roster=rost, date_style=date_style)
    if source == "hubspot":
        from toolkit.loaders.hubspot import load_hubspot
        return load_hubspot(p, process=proc, roster=rost, date_style=date_style)
    if source == "hubspot_sync":
        from toolkit.loaders.hubspot import load_hubspot_sync
        return load_hubspot_sync(p if p.is_dir() else p.parent, process=proc, roster=rost)
    from toolkit.loaders.pipedrive import load_pipedrive
    return load_pipedrive(p, process=proc, roster=rost, date_style=date_style)


def _add_file(ds: Dataset, rf: ReadFile) -> None:
    """Account for the roster file in the dataset's ledger."""
    import polars as pl

    from toolkit.loaders.common import files_frame, rejects_frame
    ds.files = pl.concat([ds.files, files_frame([rf.table], ["roster"], [rf.fmt])])
    if rf.table.rejects:
        ds.rejects = pl.concat([ds.rejects, rejects_frame([rf.table])])


def __getattr__(name: str) -> object:
    if name == "Dataset":  # kept importable from here, as it always was
        from toolkit.model import Dataset
        return Dataset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CRM_LAYOUTS", "SOURCES", "Dataset", "Detection", "detect_source", "load"]
