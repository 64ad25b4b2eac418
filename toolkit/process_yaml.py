"""Writing a process back as the YAML that :func:`toolkit.process.parse_process` reads: the process
a report used, saved next to it so a rerun is reproducible, and the process suggested from an
export, with comments that say where each part came from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from toolkit.process import Allow, Outcome, Process, Review, ValidationSettings

__all__ = ["process_to_yaml"]


def _q(text: str) -> str:
    # JSON strings are YAML double-quoted scalars: any label (colons, quotes, accents) round-trips.
    return json.dumps(text, ensure_ascii=False)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _texts(values: Sequence[str]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def _comment(lines: Sequence[str], indent: str) -> list[str]:
    return [f"{indent}# {line}".rstrip() for text in lines for line in text.splitlines() or [""]]


def _outcome(key: str, o: Outcome, indent: str) -> str:
    aliases = f", aliases: {_texts(o.aliases)}" if o.aliases else ""
    return f"{indent}{key}: {{name: {_q(o.name)}{aliases}}}"


def _allow(a: Allow, indent: str) -> str:
    return f"{indent}allow: {{skip: {str(a.skip).lower()}, backward: {str(a.backward).lower()}}}"


def _review(r: Review, indent: str) -> str:
    return (f"{indent}review: {{minutes_per_deal: {_num(r.minutes_per_deal)}, sample_per_rep: {r.sample_per_rep}, "
            f"manager_hours_per_week: {_num(r.manager_hours_per_week)}, period_weeks: {r.period_weeks}}}")


def _body(p: Process, indent: str, notes: Mapping[str, Sequence[str]], prefix: str,
          defaults: Process | None) -> list[str]:
    out = list(_comment(notes.get(f"{prefix}stages", ()), indent))
    out.append(f"{indent}stages:")
    for s in p.stages:
        out += _comment(notes.get(f"{prefix}stage:{s.name}", ()), indent + "  ")
        out.append(f"{indent}  - name: {_q(s.name)}")
        if s.aliases:
            out.append(f"{indent}    aliases: {_texts(s.aliases)}")
        if s.max_days is not None:
            out.append(f"{indent}    max_days: {_num(s.max_days)}")
        if s.required:
            out.append(f"{indent}    required: {_texts(s.required)}")
        out += _comment(notes.get(f"{prefix}after:stage:{s.name}", ()), indent + "    ")
    out += _comment(notes.get(f"{prefix}won", ()), indent)
    out.append(_outcome("won", p.won, indent))
    out += _comment(notes.get(f"{prefix}lost", ()), indent)
    out.append(_outcome("lost", p.lost, indent))
    out += _comment(notes.get(f"{prefix}entry_stages", ()), indent)
    if p.entry_stages:
        out.append(f"{indent}entry_stages: {_texts(p.entry_stages)}")
    if defaults is None or p.allow != defaults.allow:
        out += _comment(notes.get(f"{prefix}allow", ()), indent)
        out.append(_allow(p.allow, indent))
    if defaults is None or p.review != defaults.review:
        out.append(_review(p.review, indent))
    return out


def _validation(v: ValidationSettings) -> list[str]:
    out = ["validation:",
           f"  amount_ceiling: {_num(v.amount_ceiling)}",
           f"  close_date_years_back: {v.close_date_years_back}",
           f"  close_date_years_ahead: {v.close_date_years_ahead}"]
    if v.severity:
        out.append("  severity: {" + ", ".join(f"{_q(k)}: {sev}" for k, sev in sorted(v.severity.items())) + "}")
    return out


def process_to_yaml(process: Process, *, header: Sequence[str] = (),
                    notes: Mapping[str, Sequence[str]] | None = None) -> str:
    """The process as YAML that :func:`~toolkit.process.parse_process` reads back to an equal process
    (``source`` aside). ``header`` lines open the file as comments; ``notes`` put comment lines above
    a part: keys ``stages``, ``stage:<name>`` (``after:stage:<name>`` below its fields), ``won``,
    ``lost``, ``entry_stages``, ``allow``, each
    prefixed with ``<pipeline>/`` for a pipeline's part, and ``pipelines``."""
    notes = notes or {}
    out = _comment(header, "")
    out.append(f"name: {_q(process.name)}")
    if not process.pipelines:
        out += _body(process, "", notes, "", None)
    else:
        out.append(_allow(process.allow, ""))
        out.append(_review(process.review, ""))
        base = next(iter(process.pipelines.values()))
        if process.stages != base.stages or process.won != base.won or process.lost != base.lost \
                or process.entry_stages != base.entry_stages:
            # A top-level process of its own: the one for pipelines the file does not name.
            out += _body(process, "", notes, "", process)
        out += _comment(notes.get("pipelines", ()), "")
        out.append("pipelines:")
        for name, p in process.pipelines.items():
            out += _comment(notes.get(f"{name}/", ()), "  ")
            out.append(f"  {_q(name)}:")
            if p.name != name:
                out.append(f"    name: {_q(p.name)}")
            out += _body(p, "    ", notes, f"{name}/", process)
    out += _validation(process.validation)
    return "\n".join(out) + "\n"
