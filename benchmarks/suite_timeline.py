"""How busy a suite kept its workers, from the runs it recorded: each study's span, its run-seconds,
and the core-seconds left idle at each boundary between studies.

    python benchmarks/suite_timeline.py RESULTS experiments/chapter3.yaml [--jobs 2] [--json out.json]

A run's end is its metrics.json's modification time; its start, that less the run's own
`wall_time_s` (its provenance's `started`, whole seconds, for kinds that keep no clock). A study's
idle core-seconds are those of its tail: from when the first worker has none of the study's runs
left (the `jobs`-th latest end) until the next run of any study starts, the cores without a run
(`jobs` minus the runs in flight), integrated. Without lookahead all but one worker wait there for
the study's last run, and all wait while its summary is written.
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


def idle_core_seconds(spans: list[tuple[float, float]], jobs: int, start: float, end: float) -> float:
    """The integral over [start, end] of the cores without a run: jobs minus the runs in flight."""
    points = sorted({start, end, *(t for span in spans for t in span if start < t < end)})
    idle = 0.0
    for a, b in zip(points, points[1:]):
        middle = (a + b) / 2
        busy = sum(1 for s, e in spans if s <= middle < e)
        idle += max(0, jobs - busy) * (b - a)
    return idle


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
    spans = [span for study in order for span in rows[study]]
    print(f"{'study':<22} {'runs':>5} {'span s':>8} {'run-s':>8} {'idle core-s in its tail':>24}")
    for study in order:
        mine = rows[study]
        start, end = min(s for s, _ in mine), max(e for _, e in mine)
        ends = sorted((e for _, e in mine), reverse=True)
        tail = ends[min(args.jobs, len(ends)) - 1]
        following = min((s for s, _ in spans if s >= end), default=end)
        idle = idle_core_seconds(spans, args.jobs, tail, following)
        run_seconds = sum(e - s for s, e in mine)
        table.append({"study": study, "runs": len(mine), "span_s": end - start, "run_seconds": run_seconds,
                      "idle_core_seconds_in_tail": idle})
        print(f"{study:<22} {len(mine):>5} {end - start:>8.1f} {run_seconds:>8.1f} {idle:>24.1f}")
    total_idle = idle_core_seconds(spans, args.jobs, first, last)
    wall = last - first
    busy = sum(r["run_seconds"] for r in table)
    tails = sum(r["idle_core_seconds_in_tail"] for r in table)
    print(f"\nwall {wall:.1f} s; run-seconds {busy:.1f}; cores without a run {total_idle:.1f} core-s in all, "
          f"{tails:.1f} of them in the studies' tails")
    if args.json:
        args.json.write_text(json.dumps({"wall_s": wall, "jobs": args.jobs, "studies": table,
                                         "idle_core_s": total_idle,
                                         "idle_in_tails_core_s": tails}, indent=2))


if __name__ == "__main__":
    main()
