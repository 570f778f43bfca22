"""Which CPU-kernel settings make a run's numbers the same across CPU families, and what each costs.

    python benchmarks/cpu_kernels.py --data-dir ../shared/datasets            # reuters_units, seed 0
    python benchmarks/cpu_kernels.py --data-dir ../shared/datasets --config configs/imdb_layers.yaml

oneDNN picks its kernels by instruction set (AVX2, AVX-512, AMX...) and cache sizes, and another
kernel sums in another order: the last digits of a run on full data follow. This trains the same
study (one seed, nnlab's own runner, one thread per run) under each setting, one after the other in
one invocation:

    default                      oneDNN at the best level this CPU has
    ONEDNN_MAX_CPU_ISA=AVX2      oneDNN capped at AVX2 (which every x86 CPU of this decade has)
    ONEDNN_MAX_CPU_ISA=SSE41     capped lower still
    TF_ENABLE_ONEDNN_OPTS=0      TensorFlow's own Eigen kernels instead of oneDNN's

and writes, per setting, the wall time and a sha256 of every run's histories and test figures to
benchmarks/results/cpu-kernels-<time>.json with the CPU's facts (provenance.cpu_facts). Within one
machine it says which settings change the numbers and what they cost; the same file from a machine
of the other family (AMD EPYC / Intel Xeon) says which setting gives the same digits on both:
`--compare OTHER.json` prints, setting by setting, whether the two machines' runs agree.
Run it on an otherwise idle machine: it measures time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SETTINGS = {
    "default": {},
    "ONEDNN_MAX_CPU_ISA=AVX2": {"ONEDNN_MAX_CPU_ISA": "AVX2"},
    "ONEDNN_MAX_CPU_ISA=SSE41": {"ONEDNN_MAX_CPU_ISA": "SSE41"},
    "TF_ENABLE_ONEDNN_OPTS=0": {"TF_ENABLE_ONEDNN_OPTS": "0"},
}
FIGURES = ("best_epoch", "test_loss", "test_accuracy", "full_epochs_test_accuracy")


def fingerprint(run: Path) -> str:
    """A run's numbers in one hash: both histories and its test figures, exactly as recorded."""
    metrics = json.loads((run / "metrics.json").read_text())
    parts = [(run / name).read_bytes() for name in ("search_history.json", "retrain_history.json") if (run / name).is_file()]
    parts.append(json.dumps({k: metrics.get(k) for k in FIGURES}, sort_keys=True).encode())
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


def run_setting(config: Path, data_dir: str | None, env: dict, out: Path) -> dict:
    command = [sys.executable, "-m", "nnlab.cli", "run", str(config), "--seeds", "1", "--jobs", "1", "--quiet",
               "--results", str(out)] + (["--data-dir", data_dir] if data_dir else [])
    started = time.monotonic()
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} with {env} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    runs = sorted(out.glob("*/*/seed-*"))
    provenance = json.loads((runs[0] / "provenance.json").read_text())["environment"]
    per_epoch = [json.loads((r / "metrics.json").read_text())["seconds_per_epoch"] for r in runs]
    return {"seconds": round(seconds, 1), "seconds_per_epoch": round(sum(per_epoch) / len(per_epoch), 4),
            "onednn": provenance.get("onednn"),
            "runs": {f"{r.parent.name}/{r.name}": fingerprint(r) for r in runs},
            "test_accuracy": {f"{r.parent.name}/{r.name}": json.loads((r / "metrics.json").read_text())["test_accuracy"]
                              for r in runs}}


def compare(mine: dict, other: dict) -> None:
    print(f"this machine: {mine['cpu']}\nother:        {other['cpu']}")
    for setting, here in mine["settings"].items():
        there = other["settings"].get(setting)
        if not there:
            print(f"  {setting:28} not measured on the other machine")
            continue
        same = sum(here["runs"].get(k) == v for k, v in there["runs"].items())
        print(f"  {setting:28} {same} of {len(there['runs'])} runs identical across the two machines")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("NNLAB_DATA_DIR"))
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "reuters_units.yaml")
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--compare", type=Path, help="a JSON this script wrote on another machine")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from nnlab import provenance

    record = {"when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "config": str(args.config),
              "cpu": provenance.cpu_name(), "cpu_facts": provenance.cpu_facts(), "commit": provenance.git_state()["commit"],
              "settings": {}}
    with tempfile.TemporaryDirectory(prefix="nnlab-kernels-") as scratch:
        for k, setting in enumerate(args.settings):
            result = run_setting(args.config, args.data_dir, SETTINGS[setting], Path(scratch) / f"s{k}")
            record["settings"][setting] = result
            base = record["settings"].get("default") or result
            same = sum(result["runs"][r] == base["runs"].get(r) for r in result["runs"])
            ratio = result["seconds"] / base["seconds"]
            isa = (result["onednn"] or {}).get("isa") or "off"
            print(f"{setting:28} {result['seconds']:7.1f} s ({ratio:.2f}x the default), "
                  f"{result['seconds_per_epoch']:.3f} s/epoch  oneDNN {isa:18} "
                  f"{same} of {len(result['runs'])} runs identical to the default", flush=True)
    out = args.out or HERE / "results" / f"cpu-kernels-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"written: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    if args.compare:
        compare(record, json.loads(args.compare.read_text()))


if __name__ == "__main__":
    main()
