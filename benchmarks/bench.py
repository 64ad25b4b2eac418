"""Benchmarks: loading, metrics and validation of a generated export, each against a baseline in
the same run, reported as ratios. Not part of the test run.

    .venv/bin/python benchmarks/bench.py                   # 1,000,000 deals, everything
    .venv/bin/python benchmarks/bench.py --deals 100000 --only load,metrics
    .venv/bin/python benchmarks/bench.py --deals 100000,1000000 --only load   # growth too
    .venv/bin/python benchmarks/bench.py --only noop      # a report rerun with nothing to do

The load is compared with the bare polars all-strings read and with DuckDB's read_csv filling a
rejects table, on the same files, and again with one stray quote and one invalid byte in the
history file; each of the five runs ``--rounds`` times (3), the rounds taking turns, and keeps its
fastest run.

Each measurement runs in its own Python process so its peak memory (max RSS) is its own. The
data is generated once into benchmarks/data/ (git-ignored) by the toolkit's seeded generator.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
AS_OF = "2025-06-30"


#: Every child runs this checkout's code (not an installed copy) in a bare environment.
CHILD_ENV = {"GX_ANALYTICS_ENABLED": "false", "PATH": "/usr/bin:/bin", "HOME": str(Path.home()),
             "PYTHONPATH": str(HERE.parent)}


def child(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object; add its peak RSS (MB)."""
    prog = textwrap.dedent(code) + textwrap.dedent("""
        import resource, json as _j
        _out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(_j.dumps(_out))
    """)
    res = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, cwd=HERE.parent, check=False,
                         env=CHILD_ENV)
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


def variant(folder: Path, kind: str) -> Path:
    """A copy of the export whose history file has one defect in its middle line: a stray quote
    (``kind="quote"``: text after a closing quote, which RFC 4180 forbids) or one byte that is
    valid in no encoding the reader would choose (``kind="byte"``: 0x81, undefined in UTF-8 and
    cp1252). The other files are symlinks to the clean ones."""
    out = folder.parent / f"{folder.name}_{kind}"
    hist = out / "OpportunityHistory.csv"
    if hist.is_file():
        return out
    out.mkdir(exist_ok=True)
    for f in folder.glob("*.csv"):
        if f.name != hist.name and not (out / f.name).exists():
            (out / f.name).symlink_to(f)
    data = (folder / hist.name).read_bytes()
    mid = data.index(b"\n", len(data) // 2) + 1
    end = data.index(b"\n", mid)
    line = data[mid:end]
    cut = line.index(b'","') + 1  # just after the first field's closing quote
    bad = line[:cut] + b"x" + line[cut:] if kind == "quote" else line[:3] + b"\x81" + line[3:]
    hist.write_bytes(data[:mid] + bad + data[end:])
    return out


def _load_child(folder: Path) -> dict:
    # polars is imported before the clock starts, as the bare read's child does: both time the work
    # on the files, not the engine's import (the toolkit's own modules are imported by the load).
    return child(f"""
        import time, toolkit, polars
        t = time.perf_counter(); d = toolkit.load({str(folder)!r}); dt = time.perf_counter() - t
        _out = {{"seconds": dt, "deals": d.deals.height, "stage_events": d.stage_events.height,
                 "history_rows": int(d.files.filter(d.files["role"] == "stage_events")["rows"][0]),
                 "rejected": int(d.files["rejected"].sum())}}
    """)


def _bare_child(folder: Path) -> dict:
    return child(f"""
        import time, polars as pl, pathlib
        files = sorted(pathlib.Path({str(folder)!r}).glob("*.csv"))
        t = time.perf_counter(); frames = [pl.read_csv(f, infer_schema=False) for f in files]
        _out = {{"seconds": time.perf_counter() - t, "rows": sum(f.height for f in frames)}}
    """)


def _duckdb_child(folder: Path) -> dict:
    return child(f"""
        import time, duckdb, pathlib
        files = sorted(pathlib.Path({str(folder)!r}).glob("*.csv"))
        con = duckdb.connect()
        t = time.perf_counter(); rows = 0; rejects = 0
        for i, f in enumerate(files):
            con.execute(f"CREATE TABLE t{{i}} AS SELECT * FROM read_csv('{{f}}', store_rejects = true, "
                        f"rejects_table = 'rej{{i}}', rejects_scan = 'scan{{i}}')")
            rows += con.execute(f"SELECT count(*) FROM t{{i}}").fetchone()[0]
            rejects += con.execute(f"SELECT count(*) FROM rej{{i}}").fetchone()[0]
        _out = {{"seconds": time.perf_counter() - t, "rows": rows, "reject_errors": rejects}}
    """)


def bench_load(folder: Path, rounds: int = 3) -> dict:
    """toolkit.load against the bare polars all-strings read and DuckDB's typed read with a
    rejects table, on the same four files; then toolkit.load with one defect in the history.

    Each is run ``rounds`` times, the rounds taking turns (so a machine that slows down or speeds
    up meanwhile weighs on all of them alike); each keeps its fastest run, with every run's time."""
    runs = {"toolkit_load": lambda: _load_child(folder), "polars_read_csv": lambda: _bare_child(folder),
            "duckdb_read_csv_rejects": lambda: _duckdb_child(folder),
            "toolkit_load_one_quote": lambda: _load_child(variant(folder, "quote")),
            "toolkit_load_one_byte": lambda: _load_child(variant(folder, "byte"))}
    seen: dict[str, list[dict]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            seen[name].append(run())
    best = {name: min(results, key=lambda r: r["seconds"]) | {
        "seconds_all": [round(r["seconds"], 2) for r in results],
        "seconds_median": statistics.median(r["seconds"] for r in results)} for name, results in seen.items()}
    load, base, duck = best["toolkit_load"], best["polars_read_csv"], best["duckdb_read_csv_rejects"]
    out: dict = {**best, "rounds": rounds,
                 "time_vs_polars": load["seconds"] / base["seconds"],
                 "rss_vs_polars": load["peak_rss_mb"] / base["peak_rss_mb"],
                 "time_vs_duckdb": load["seconds"] / duck["seconds"],
                 "rss_vs_duckdb": load["peak_rss_mb"] / duck["peak_rss_mb"]}
    for kind in ("quote", "byte"):
        v = best[f"toolkit_load_one_{kind}"]
        out[f"one_{kind}_time_vs_clean"] = v["seconds"] / load["seconds"]
        out[f"one_{kind}_rss_vs_clean"] = v["peak_rss_mb"] / load["peak_rss_mb"]
    return out


def growth(small: dict, large: dict) -> dict:
    """How time and memory grow from the smaller to the larger export, load against bare read."""
    def ratio(key: str, what: str) -> float:
        return large[key][what] / small[key][what]
    return {"load_time_x": ratio("toolkit_load", "seconds"), "polars_time_x": ratio("polars_read_csv", "seconds"),
            "load_rss_x": ratio("toolkit_load", "peak_rss_mb"),
            "polars_rss_x": ratio("polars_read_csv", "peak_rss_mb")}


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


def _timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    t = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent, check=False, env=CHILD_ENV)
    return time.perf_counter() - t, res


def bench_noop(folder: Path, rounds: int = 3) -> dict:
    """``toolkit report`` run again on inputs it has already published: the whole command (Python
    start, imports, hashing the inputs, reading the manifest), against hashing the same files."""
    out = DATA / f"reports_{folder.parent.name}"
    cmd = [str(Path(sys.executable).with_name("toolkit")), "report", str(folder), "--as-of", AS_OF, "--out", str(out),
           "--jobs", "2", "--formats", "html", "--team-timeout", "7200"]
    # the first run renders every team (a quarter of the deals each): it may take long
    first, res = _timed(cmd)
    if res.returncode != 0:
        raise SystemExit(f"the first report run failed ({res.returncode}):\n{res.stderr[-3000:]}")
    runs = []
    for _ in range(rounds):
        seconds, res = _timed(cmd)
        if res.returncode != 0 or "nothing to do" not in res.stdout + res.stderr:
            raise SystemExit(f"the rerun did something ({res.returncode}):\n{(res.stdout + res.stderr)[-3000:]}")
        runs.append(seconds)
    hashing = child(f"""
        import time, hashlib, pathlib
        t = time.perf_counter()
        for f in sorted(pathlib.Path({str(folder)!r}).glob("*.csv")):
            h = hashlib.sha256()
            with f.open("rb") as fh:
                while block := fh.read(1 << 20):
                    h.update(block)
        _out = {{"seconds": time.perf_counter() - t}}
    """)
    best = min(runs)
    return {"first_run_seconds": first, "noop_seconds": runs, "hash_inputs_seconds": hashing["seconds"],
            "noop_vs_hashing": best / hashing["seconds"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--deals", default="1000000", help="one size or several, comma-separated (e.g. 100000,1000000)")
    ap.add_argument("--only", default="load,metrics,validate",
                    help="comma-separated: load, metrics, validate, noop (a report rerun with nothing to do; its "
                         "first run renders every team's report, which takes long at 1M deals)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="runs of each load measurement, taking turns; each keeps its fastest (default 3)")
    ap.add_argument("--apply-sample", type=int, default=20_000,
                    help="deals for the groupby/apply comparison (it is too slow for all of them)")
    args = ap.parse_args()
    sizes = [int(n) for n in args.deals.split(",")]
    loads: dict[int, dict] = {}
    for n in sizes:
        folder = ensure_data(n)
        results: dict = {"deals_requested": n}
        for name in args.only.split(","):
            t = time.perf_counter()
            print(f"{name} at {n:,} deals: machine load (1, 5, 15 min) {os.getloadavg()}", file=sys.stderr)
            if name == "load":
                results["load"] = loads[n] = bench_load(folder, args.rounds)
            elif name == "metrics":
                results["metrics"] = bench_metrics(folder, args.apply_sample)
            elif name == "validate":
                results["validate"] = bench_validate(folder)
            elif name == "noop":
                results["noop"] = bench_noop(folder)
            print(f"{name}: done in {time.perf_counter() - t:.0f} s", file=sys.stderr)
            print(json.dumps({f"{name}_{n}": results[name]}, indent=2, default=str), flush=True)
    if len(loads) > 1:
        small, large = loads[min(loads)], loads[max(loads)]
        print(json.dumps({f"growth_{min(loads)}_to_{max(loads)}": growth(small, large)}, indent=2))


if __name__ == "__main__":
    main()
