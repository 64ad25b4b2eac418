"""Benchmark: 20 team reports (HTML and PDF) with ``toolkit report`` against a plain loop of
``papermill`` then ``jupyter nbconvert`` per team on the same data, and the time each extra team
adds.

    .venv/bin/python benchmarks/bench_reports.py [--teams 20] [--jobs 2] [--rounds 1]

The sample company's 36 reps are spread over N teams by a roster, so the data is the samples'.
The plain loop renders HTML only: nbconvert's PDF needs LaTeX or a browser download, which this
machine cannot do; the toolkit's run renders HTML and PDF, so the ratio favours the loop.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "data" / "reports"
BIN = Path(sys.executable).parent
AS_OF = "2025-06-30"


def make_export(n_teams: int) -> Path:
    """The Salesforce sample export with a roster splitting its reps into ``n_teams`` teams."""
    folder = WORK / f"export_{n_teams}"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(ROOT / "data" / "samples" / "salesforce_export", folder)
    with (folder / "User.csv").open(encoding="utf-8") as fh:
        users = [r for r in csv.DictReader(fh)]
    reps = sorted({r["Name"] for r in users})
    with (folder / "roster.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["owner", "team", "manager"])
        for i, rep in enumerate(reps):
            w.writerow([rep, f"Team {i % n_teams + 1:02d}", f"Manager {i % n_teams + 1:02d}"])
    return folder


def run(cmd: list[str]) -> float:
    t = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if res.returncode not in (0,):
        raise SystemExit(f"{cmd[:3]} failed ({res.returncode}):\n{res.stdout[-1500:]}\n{res.stderr[-1500:]}")
    return time.perf_counter() - t


def toolkit_run(export: Path, jobs: int, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    return run([str(BIN / "toolkit"), "report", str(export), "--as-of", AS_OF, "--out", str(out), "--jobs", str(jobs),
                "--force"])


def plain_loop(export: Path, out: Path) -> float:
    """What a team would write without the toolkit's runner: prepare once, then per team a
    papermill run and an nbconvert call, one after the other."""
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    run([str(BIN / "toolkit"), "prepare", str(export), "--as-of", AS_OF, "--out", str(out / "slices")])
    for team in sorted(p.name for p in (out / "slices").iterdir()):
        nb = out / f"{team}.ipynb"
        run([str(BIN / "papermill"), str(ROOT / "notebooks" / "team_report.ipynb"), str(nb), "-p", "team_id", team,
             "-p", "data_dir", str(out / "slices" / team), "--no-progress-bar"])
        run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)])
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teams", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1,
                    help="runs of each measurement, taking turns; each keeps its fastest (a machine whose speed "
                         "drifts: --rounds 3)")
    args = ap.parse_args()
    many, one = make_export(args.teams), make_export(1)
    seen: dict[str, list[float]] = {"many": [], "one": [], "loop": []}
    for _ in range(args.rounds):
        seen["many"].append(toolkit_run(many, args.jobs, WORK / "out_many"))
        seen["one"].append(toolkit_run(one, args.jobs, WORK / "out_one"))
        seen["loop"].append(plain_loop(many, WORK / "out_loop"))
    if args.rounds > 1:
        print("every run (s): " + ", ".join(f"{k} {[round(t, 1) for t in v]}" for k, v in seen.items()))
    t_many, t_one, t_loop = (min(seen[k]) for k in ("many", "one", "loop"))
    print(f"toolkit report, {args.teams} teams (html+pdf, jobs={args.jobs}): {t_many:.1f} s")
    print(f"toolkit report, 1 team: {t_one:.1f} s")
    print(f"added time per extra team: {(t_many - t_one) / (args.teams - 1):.2f} s")
    print(f"plain papermill + nbconvert loop, {args.teams} teams (html only): {t_loop:.1f} s")
    print(f"speed-up over the plain loop: {t_loop / t_many:.2f}x")


if __name__ == "__main__":
    main()
