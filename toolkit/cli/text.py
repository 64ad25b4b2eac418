"""The load summary and the metrics as plain text, for a terminal or a log."""

from __future__ import annotations

from typing import Any


def render_summary(summary: dict[str, Any], rejects: Any) -> str:
    """The load summary as text for a terminal or a log."""
    import polars as pl

    out = [f"source        {summary['source']}",
           f"deals         {summary['deals']:,}",
           f"stage_events  {summary['stage_events']:,}" + ("" if summary["has_history"] else "  (no stage history)"),
           f"reps          {summary['reps']:,}",
           f"teams         {summary['teams']:,}",
           (f"lines in      {summary['lines_in']:,} = {summary['rows']:,} rows + {summary['rejected']:,} rejected "
            f"+ {summary['skipped']:,} skipped"),
           ""]
    out.append("files")
    for f in summary["files"]:
        out.append(f"  {f['file']} ({f['role']}): {f['lines_in']:,} lines, {f['rows']:,} rows, {f['rejected']:,} "
                   f"rejected, skipped {f['skipped_by_kind'] or 0}; encoding {f['encoding']}, delimiter "
                   f"{f['delimiter']!r}, dates {f['date_style']}, decimal {f['decimal'] or '-'}")
    if summary["rejects_by_reason"]:
        out += ["", "rejects by reason"]
        for reason, n in summary["rejects_by_reason"].items():
            out.append(f"  {reason}: {n:,}")
            for row in rejects.filter(pl.col("reason") == reason).head(3).iter_rows(named=True):
                out.append(f"    {row['file']}:{row['line']} {row['column'] or ''} {row['raw'][:60]!r}")
    if summary["notes"]:
        out += ["", "notes"] + [f"  {n}" for n in summary["notes"]]
    return "\n".join(out)


def render_metrics(m: dict[str, Any], *, has_history: bool) -> str:
    """The metrics as plain tables for a terminal or a log."""
    lines = [f"as of {m['as_of']}", "", "teams"]
    lines.append(f"  {'team':<28} {'reps':>4} {'open':>5} {'won':>5} {'lost':>5} {'full h':>7} {'sample h':>8} "
                 f"{'compliant':>9} {'period':>6}  in control?")

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.0%}"

    for t in m["teams"]:
        lines.append(f"  {str(t['team_name'])[:28]:<28} {t['reps']:>4} {t['open']:>5} {t['won']:>5} {t['lost']:>5} "
                     f"{t['review_hours_full']:>7.1f} {t['review_hours_sampled']:>8.1f} {pct(t['compliance_rate']):>9} "
                     f"{pct(t['period_compliance_rate']):>6}  {t['verdict']}")
    lines += ["", "reps"]
    lines.append(f"  {'rep':<28} {'team':<22} {'open':>5} {'won':>5} {'lost':>5} {'flagged':>7} {'compliant':>9}")
    for r in m["reps"]:
        lines.append(f"  {str(r['owner_name'])[:28]:<28} {str(r['team_id'])[:22]:<22} {r['open']:>5} {r['won']:>5} "
                     f"{r['lost']:>5} {r['flagged']:>7} {pct(r['compliance_rate']):>9}")
    lines += ["", "stage moves: " + ", ".join(f"{k} {v}" for k, v in m["transitions"].items()),
              "deals flagged: " + ", ".join(f"{k} {v}" for k, v in m["deals_flagged"].items())]
    c = m["changes"]
    lines += ["", f"changes {c['start'][:16].replace('T', ' ')} – {c['end'][:16].replace('T', ' ')} "
                  f"({c['window_days']} days, from {c['basis']})",
              "  " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in c["totals"].items())]
    if c["basis"] == "none":
        lines.append("  no deal history in this export: only new deals are counted; pass --previous PATH "
                     "(an earlier export) to see the rest")
    lines += ["", "control (Western Electric rules 1-4)"]
    for ch in m["control"]:
        where = ch["team_id"] + (f" / {ch['pipeline']}" if ch.get("pipeline") else "")
        lines.append(f"  {where[:34]:<34} {ch['measure']:<22} {ch['chart']:<4} {ch['verdict']}: {ch['reason']}")
    focus = [row for row in m["coaching"] if row["stage"] is not None]
    lines += ["", "coaching (behind the team beyond chance: 95 % Wilson interval, Bonferroni per rep, >= 5 deals)"]
    lines += [f"  {row['line']}" for row in focus]
    lines.append(f"  {len(m['coaching']) - len(focus)} other rep(s): no stage behind the team beyond chance")
    if not has_history:
        lines.append("no stage history in this export: skips, backward moves, time limits and late starts "
                     "could not be checked")
    return "\n".join(lines)
