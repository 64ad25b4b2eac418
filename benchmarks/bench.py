"""Benchmarks: loading, metrics and validation of a generated export, each against a baseline in
the same run, reported as ratios. Not part of the test run.

    .venv/bin/python benchmarks/bench.py                   # 1,000,000 deals, everything
    .venv/bin/python benchmarks/bench.py --deals 100000 --only load,metrics

Each measurement runs in its own Python process so its peak memory (max RSS) is its own. The
data is generated once into benchmarks/data/ (git-ignored) by the toolkit's seeded generator.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
AS_OF = "2025-06-30"


def child(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object; add its peak RSS (MB)."""
    prog = textwrap.dedent(code) + textwrap.dedent("""
        import resource, json as _j
        _out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(_j.dumps(_out))
    """)
    res = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, cwd=HERE.parent,
                         env={"GX_ANALYTICS_ENABLED": "false", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())})
    if res.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def ensure_data(n_deals: int) -> Path:
    folder = DATA / f"salesforce_{n_deals}"
    if not (folder / "salesforce_export" / "Opportunity.csv").is_file():
        from toolkit.samples import scale_for, write_samples
        t = time.perf_counter()
        write_samples(folder, scale=scale_for(n_deals), formats=("salesforce_export",))
        print(f"generated {folder} in {time.perf_counter() - t:.1f} s")
    return folder / "salesforce_export"


def bench_load(folder: Path) -> dict:
    load = child(f"""
        import time, toolkit
        t = time.perf_counter(); d = toolkit.load({str(folder)!r}); dt = time.perf_counter() - t
        _out = {{"seconds": dt, "deals": d.deals.height, "stage_events": d.stage_events.height,
                 "history_rows": int(d.files.filter(d.files["role"] == "stage_events")["rows"][0]),
                 "rejected": int(d.files["rejected"].sum())}}
    """)
    base = child(f"""
        import time, polars as pl, pathlib
        files = sorted(pathlib.Path({str(folder)!r}).glob("*.csv"))
        t = time.perf_counter(); frames = [pl.read_csv(f, infer_schema=False) for f in files]
        _out = {{"seconds": time.perf_counter() - t, "rows": sum(f.height for f in frames)}}
    """)
    return {"toolkit_load": load, "polars_read_csv": base,
            "time_ratio": load["seconds"] / base["seconds"], "memory_ratio": load["peak_rss_mb"] / base["peak_rss_mb"]}


def bench_metrics(folder: Path, apply_sample: int) -> dict:
    ours = child(f"""
        import time, datetime as dt, toolkit, polars as pl
        from toolkit.metrics.summary import compute_metrics
        from toolkit.metrics.compliance import stage_conversion, time_in_stage, suggested_limits
        from toolkit.metrics.control import weekly_process_measures, xmr, verdicts
        from toolkit.metrics.counts import open_by_stage, pipeline_by_currency
        from toolkit.metrics.review import review_plan
        t = time.perf_counter(); d = toolkit.load({str(folder)!r}); load_s = time.perf_counter() - t
        # the comparisons below start from these tables instead of loading again
        d.deals.write_parquet({str(folder / "deals.parquet")!r}); d.stage_events.write_parquet({str(folder / "events.parquet")!r})
        p = toolkit.load_process(); as_of = dt.date.fromisoformat({AS_OF!r})
        t = time.perf_counter()
        flags_only = __import__("toolkit.metrics.compliance", fromlist=["_flags"])._flags(d.deals, d.stage_events, p, as_of)
        flags_s = time.perf_counter() - t
        t = time.perf_counter()
        m = compute_metrics(d.deals, d.stage_events, d.reps, p, as_of)
        plan = review_plan(d.deals, m.flags, d.stage_events, p, as_of=as_of, seed=1)
        conv = stage_conversion(d.stage_events, p, as_of); tis = time_in_stage(d.stage_events, p, as_of)
        sug = suggested_limits(d.stage_events, p, as_of)
        w = weekly_process_measures(d.stage_events, d.deals, p, as_of=as_of)
        v = verdicts(xmr(w, "in_process_share", by="team_id"), by="team_id")
        obs = open_by_stage(d.deals, by="rep"); pipe = pipeline_by_currency(d.deals)
        metrics_s = time.perf_counter() - t
        summary = m.to_dict()
        _out = {{"load_seconds": load_s, "metrics_seconds": metrics_s, "transitions_and_flags_seconds": flags_s,
                 "transitions": summary["transitions"],
                 "deals_flagged": summary["deals_flagged"], "plan_rows": plan.height}}
    """)
    pandas_vec = child(f"""
        import sys, time, datetime as dt, toolkit, polars as pl
        sys.path.insert(0, {str(HERE)!r})
        import pandas_reference as ref
        p = toolkit.load_process(); as_of = dt.date.fromisoformat({AS_OF!r})
        deals = pl.read_parquet({str(folder / "deals.parquet")!r}).to_pandas()
        events = pl.read_parquet({str(folder / "events.parquet")!r}).to_pandas()
        t = time.perf_counter(); kinds, flags = ref.vectorized(deals, events, p, as_of)
        _out = {{"seconds": time.perf_counter() - t, "transitions": kinds, "deals_flagged": flags}}
    """)
    ours_small = child(f"""
        import time, datetime as dt, toolkit, polars as pl
        from toolkit.metrics.compliance import _transitions, _flags
        p = toolkit.load_process(); as_of = dt.date.fromisoformat({AS_OF!r})
        deals = pl.read_parquet({str(folder / "deals.parquet")!r}); events = pl.read_parquet({str(folder / "events.parquet")!r})
        sample = deals.head({apply_sample}); ev = events.filter(pl.col("deal_id").is_in(sample["deal_id"].implode()))
        t = time.perf_counter(); _flags(sample, ev, p, as_of)
        _out = {{"seconds": time.perf_counter() - t, "deals": sample.height}}
    """)
    pandas_apply = child(f"""
        import sys, time, datetime as dt, toolkit, polars as pl
        sys.path.insert(0, {str(HERE)!r})
        import pandas_reference as ref
        p = toolkit.load_process(); as_of = dt.date.fromisoformat({AS_OF!r})
        all_deals = pl.read_parquet({str(folder / "deals.parquet")!r}); all_events = pl.read_parquet({str(folder / "events.parquet")!r})
        sample = all_deals.head({apply_sample}); ev = all_events.filter(pl.col("deal_id").is_in(sample["deal_id"].implode()))
        deals, events = sample.to_pandas(), ev.to_pandas()
        t = time.perf_counter(); ref.apply(deals, events, p, as_of)
        _out = {{"seconds": time.perf_counter() - t, "deals": sample.height}}
    """)
    agree = (pandas_vec["transitions"] == {k: v for k, v in ours["transitions"].items() if v}
             and pandas_vec["deals_flagged"] == ours["deals_flagged"])
    return {
        "toolkit": ours, "pandas_vectorized": pandas_vec, "pandas_apply_sample": pandas_apply,
        "toolkit_same_sample": ours_small, "pandas_agrees": agree,
        "metrics_over_load": ours["metrics_seconds"] / ours["load_seconds"],
        "speedup_vs_pandas_vectorized": pandas_vec["seconds"] / ours["transitions_and_flags_seconds"],
        "all_metrics_vs_pandas_vectorized_flags_only": pandas_vec["seconds"] / ours["metrics_seconds"],
        "speedup_vs_pandas_apply_same_sample": pandas_apply["seconds"] / ours_small["seconds"],
    }


def bench_validate(folder: Path) -> dict:
    out = child(f"""
        import time, datetime as dt, toolkit
        from toolkit.validation import validate_dataset
        t = time.perf_counter(); d = toolkit.load({str(folder)!r}); load_s = time.perf_counter() - t
        p = toolkit.load_process(); as_of = dt.date.fromisoformat({AS_OF!r})
        t = time.perf_counter(); import great_expectations; import_s = time.perf_counter() - t
        t = time.perf_counter(); r = validate_dataset(d, p, as_of=as_of); val_s = time.perf_counter() - t
        _out = {{"load_seconds": load_s, "gx_import_seconds": import_s, "validate_seconds": val_s,
                 "blocking": r.blocking, "failed": [o.name for o in r.failed]}}
    """)
    out["validate_over_load"] = out["validate_seconds"] / out["load_seconds"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--deals", type=int, default=1_000_000)
    ap.add_argument("--only", default="load,metrics,validate")
    ap.add_argument("--apply-sample", type=int, default=20_000,
                    help="deals for the groupby/apply comparison (it is too slow for all of them)")
    args = ap.parse_args()
    folder = ensure_data(args.deals)
    results: dict = {"deals_requested": args.deals}
    for name in args.only.split(","):
        t = time.perf_counter()
        if name == "load":
            results["load"] = bench_load(folder)
        elif name == "metrics":
            results["metrics"] = bench_metrics(folder, args.apply_sample)
        elif name == "validate":
            results["validate"] = bench_validate(folder)
        print(f"{name}: done in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        print(json.dumps({name: results[name]}, indent=2, default=str))


if __name__ == "__main__":
    main()
