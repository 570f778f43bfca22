"""How busy a suite kept its workers, from the runs it recorded: each study's span, its run-seconds,
and the core-seconds left idle at each boundary between studies.

    python benchmarks/suite_timeline.py RESULTS experiments/chapter3.yaml [--jobs 2] [--json out.json]

A run's end is its metrics.json's modification time; its start, that less the run's own
`wall_time_s` (its provenance's `started`, whole seconds, for kinds that keep no clock). A
boundary's idle time is, for each worker slot, the time from the moment it has nothing more of the
study to do (the study's runs' ends, latest first, one per slot) until the next study's first run
starts: with `jobs` workers and no lookahead, all but one wait for the study's last run, and all
wait while the study's summary is written. With lookahead the next study starts before this one
ends, and the boundary costs nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import yaml


def runs_of(study_dir: Path) -> list[tuple[float, float]]:
    spans = []
    for metrics in study_dir.rglob("metrics.json"):
        provenance = metrics.parent / "provenance.json"
        if not provenance.is_file():
            continue
        end = metrics.stat().st_mtime
        # The run's own clock where it kept one (to 10 ms); else its provenance's whole second.
        seconds = json.loads(metrics.read_text()).get("wall_time_s")
        started = end - seconds if seconds else dt.datetime.fromisoformat(json.loads(provenance.read_text())["started"]).timestamp()
        spans.append((started, end))
    return sorted(spans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("suite", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    manifest = yaml.safe_load(args.suite.read_text())
    studies = [Path(entry).stem for entry in manifest["studies"]]
    table, rows = [], {s: runs_of(args.results / s) for s in studies}
    rows = {s: spans for s, spans in rows.items() if spans}
    first = min(start for spans in rows.values() for start, _ in spans)
    last = max(end for spans in rows.values() for _, end in spans)
    order = list(rows)
    print(f"{'study':<22} {'runs':>5} {'span s':>8} {'run-s':>8} {'idle core-s after':>18}")
    total_idle = 0.0
    for k, study in enumerate(order):
        spans = rows[study]
        start, end = min(s for s, _ in spans), max(e for _, e in spans)
        idle = 0.0
        if k + 1 < len(order):
            following = min(s for s, _ in rows[order[k + 1]])
            ends = sorted((e for _, e in spans), reverse=True)[:args.jobs]
            idle = sum(max(0.0, following - e) for e in ends)
        total_idle += idle
        run_seconds = sum(e - s for s, e in spans)
        table.append({"study": study, "runs": len(spans), "span_s": end - start, "run_seconds": run_seconds,
                      "idle_core_seconds_after": idle})
        print(f"{study:<22} {len(spans):>5} {end - start:>8.1f} {run_seconds:>8.1f} {idle:>18.1f}")
    wall = last - first
    busy = sum(r["run_seconds"] for r in table)
    print(f"\nwall {wall:.1f} s; run-seconds {busy:.1f}; workers busy {busy / (args.jobs * wall):.0%} of "
          f"{args.jobs} x wall; idle at boundaries {total_idle:.1f} core-s")
    if args.json:
        args.json.write_text(json.dumps({"wall_s": wall, "jobs": args.jobs, "studies": table,
                                         "idle_at_boundaries_core_s": total_idle}, indent=2))


if __name__ == "__main__":
    main()
