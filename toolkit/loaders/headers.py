"""Vendor header sets in the languages a CRM exports in.

Pipedrive and HubSpot write an export's headers in the user's language. The names of each
language live in ``toolkit/data/headers/<vendor>.yaml`` with where they came from and how sure
they are; English stays in each loader's own specs. A file's language is the one whose names
match most of its header, English when it matches as many.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

from toolkit.loaders.columns import ColumnSpec, snake

VENDORS = ("pipedrive", "hubspot")
VENDOR_NAMES = {"pipedrive": "Pipedrive", "hubspot": "HubSpot"}
MAPPING_EXAMPLES = {"pipedrive": "examples/mappings/pipedrive_deals.yaml",
                    "hubspot": "examples/mappings/hubspot_deals.yaml"}
#: The fields a header must show, in its language, to be read as the vendor's deals export.
SIGNATURE = {"pipedrive": ("deal_id", "stage_raw", "owner_name", "deal_name"),
             "hubspot": ("deal_id", "stage_raw", "owner_name", "deal_name")}
SIGNATURE_MIN = 3


@dataclass(frozen=True)
class HeaderSet:
    """One vendor's export headers in one language."""

    vendor: str
    code: str
    name: str
    confidence: str
    sources: tuple[str, ...]
    entity: str | None = None
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)

    @property
    def known(self) -> bool:
        """Whether the language can be read: its id and stage headers are known. A language
        with no source, or too few names to find a deal by, is listed but never guessed."""
        return "deal_id" in self.fields and "stage_raw" in self.fields

    def names(self, key: str) -> tuple[str, ...]:
        """The headers of a field: ``<Entity> - <Label>`` first, then the bare label."""
        labels = self.fields.get(key) or self.extras.get(key) or ()
        prefixed = tuple(f"{self.entity} - {lab}" for lab in labels) if self.entity else ()
        return prefixed + tuple(labels)

    @property
    def note(self) -> str:
        return (f"{VENDOR_NAMES[self.vendor]} deals export, {self.name} headers ({self.code}; confidence "
                f"{self.confidence}; the names and their sources: toolkit/data/headers/{self.vendor}.yaml)")


@cache
def header_sets(vendor: str) -> tuple[HeaderSet, ...]:
    """Every language of a vendor in its data file, known or not."""
    text = resources.files("toolkit").joinpath("data", "headers", f"{vendor}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    out = []
    for code, lang in data["languages"].items():
        statuses = {str(v).strip().casefold(): status for status, vals in (lang.get("status") or {}).items()
                    for v in vals}
        out.append(HeaderSet(
            vendor=vendor, code=str(code), name=str(lang["name"]), confidence=str(lang["confidence"]),
            sources=tuple(str(s) for s in lang.get("sources", ())), entity=lang.get("entity"),
            fields={k: tuple(str(x) for x in v) for k, v in (lang.get("fields") or {}).items()},
            extras={k: tuple(str(x) for x in v) for k, v in (lang.get("extras") or {}).items()},
            statuses=statuses))
    return tuple(out)


def known_sets(vendor: str) -> tuple[HeaderSet, ...]:
    return tuple(h for h in header_sets(vendor) if h.known)


def all_names(vendor: str) -> list[str]:
    """Every header name of every known language (for finding the header line)."""
    return [n for h in known_sets(vendor) for key in (*h.fields, *h.extras) for n in h.names(key)]


def localized(specs: Sequence[ColumnSpec], hs: HeaderSet) -> tuple[ColumnSpec, ...]:
    """The loader's specs with the language's names first (English names stay as a fallback),
    plus the language's extra columns under their English names."""
    out = [ColumnSpec(s.field, (*hs.names(s.field), *s.names), s.kind, s.required) for s in specs]
    have = {s.field for s in specs}
    out += [ColumnSpec(key, hs.names(key)) for key in hs.extras if key not in have]
    return tuple(out)


def _matches(names: Iterable[str], header: set[str]) -> bool:
    return any(snake(n) in header for n in names)


def signature_hits(vendor: str, hs: HeaderSet, header: set[str]) -> int:
    """How many of the vendor's signature fields the snake_case header holds in this language."""
    return sum(_matches(hs.names(f), header) for f in SIGNATURE[vendor])


def choose(vendor: str, specs: Sequence[ColumnSpec], header: Sequence[str]) -> HeaderSet | None:
    """The language of a header: None for English (the specs' own names), else the known
    language whose names match the most columns."""
    names = {snake(h) for h in header}
    english = sum(_matches(s.names, names) for s in specs)
    best: HeaderSet | None = None
    best_hits = english
    for hs in known_sets(vendor):
        hits = sum(_matches(hs.names(key), names) for key in (*hs.fields, *hs.extras))
        if hits > best_hits:
            best, best_hits = hs, hits
    return best


def detect(header: set[str]) -> HeaderSet | None:
    """A vendor's localised deals export recognised from snake_case header names, if any."""
    found = [(signature_hits(v, hs, header), hs) for v in VENDORS for hs in known_sets(v)]
    hits, hs = max(found, key=lambda t: t[0], default=(0, None))
    return hs if hs is not None and hits >= SIGNATURE_MIN else None


_PIPEDRIVE_FILE = re.compile(r"^deals-\d+-\d+$", re.IGNORECASE)
_ENTITY_HEADER = re.compile(r"^[^\W\d_][\w'’]*(?: [\w'’]+)? - .+")


def looks_like(file_stem: str, header: Sequence[str]) -> str | None:
    """The vendor a file most likely comes from when its headers are in no language we know:
    Pipedrive's file name (``deals-<company>-<n>``) or its ``<Entity> - <Field>`` headers;
    HubSpot's file name (``hubspot-crm-exports-...``) or the association columns it keeps in
    English."""
    fields = [h.strip() for h in header if h.strip()]
    if _PIPEDRIVE_FILE.match(file_stem) or (
            len(fields) >= 3 and sum(bool(_ENTITY_HEADER.match(h)) for h in fields) >= 0.6 * len(fields)):
        return "pipedrive"
    lowered = {h.casefold() for h in fields}
    if file_stem.casefold().startswith("hubspot-crm-exports") or any(
            h.startswith(("associated company", "associated contact", "associated deal")) for h in lowered):
        return "hubspot"
    return None


def unknown_language_hint(vendor: str) -> str:
    known = ", ".join(["en", *(h.code for h in known_sets(vendor))])
    return (f"this looks like a {VENDOR_NAMES[vendor]} deals export with headers in a language the toolkit does "
            f"not know (known: {known}); read it through a mapping file: copy {MAPPING_EXAMPLES[vendor]} from "
            "the toolkit's repository, put your export's header names on the right-hand side, and pass --mapping")
