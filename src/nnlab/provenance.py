"""What made a run: its key (config, seed, data, run format), the code and the machine, recorded
beside its numbers. The versions of TensorFlow and Keras are read where a run is written (runner)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import subprocess
from pathlib import Path

# Bump when a change to the code alters what a run computes for the same config and seed
# (training loop, data transform, selection rule, a schema default: tests/test_run_format.py notices
# those): finished runs then no longer count as done. A change that only one kind's runs feel bumps
# that kind's REVISION instead (kinds/xor/schema.py), so no other kind's runs are redone.
RUN_FORMAT = 3  # 2: compiled epochs, multi-hot gather-and-sum, seeded per-epoch shuffles; 3: the retrain
#                 goes on to the full epochs and is tested there too (its best-epoch figures unchanged)


def run_key(config, seed: int, dataset_sha256: str, trial: bool = False, run_format: int = RUN_FORMAT,
            kind_revision: int | None = None) -> str:
    """What decides a run's numbers: the config (its fingerprint), the seed, the data and the run format
    of the code (and whether it is a search's trial: the search phase alone), and the kind's own
    revision where a kind changed what it computes (its Config.REVISION; the first revision adds
    nothing, so the keys of every other kind stay as they were). `nnlab verify` passes the formats a
    run was made with. Computed once per run, in runner.RunContext, and again only by verify."""
    revision = config.REVISION if kind_revision is None else kind_revision
    parts = ([config.fingerprint(), seed, dataset_sha256, run_format] + (["trial"] if trial else [])
             + ([f"{config.kind}-revision-{revision}"] if revision > 1 else []))
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


# What the runs write into the checkout (the committed report's tables and figures): a change there is
# a result, not code, and must not mark the next suite's runs dirty (make all-experiments runs four).
NOT_CODE = ":(top,exclude)results"


def git_state(source: Path | None = None) -> dict:
    """Commit and dirtiness of the nnlab checkout (or the checkout holding `source`), when nnlab runs
    from one (editable install): a tracked file changed anywhere but results/ makes it dirty."""
    source = source or Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True,
                                check=True, timeout=10).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ":/", NOT_CODE],
                                cwd=source, capture_output=True, text=True, check=True, timeout=10).stdout
        return {"commit": commit, "dirty": bool(status.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()



# --- what decides the kernels: the CPU's instruction sets and oneDNN's dispatch -------------------

# The flags that change which kernels run (and so, on full data, the last digits).
ISA_FLAGS = ("sse4_1", "sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512dq", "avx512bw",
             "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_int8", "amx_bf16", "amx_fp16")

# oneDNN's instruction-set levels, lowest first, each with the CPU flags it needs (its own and those
# of the levels below it on the same line: oneDNN's cpu_isa_t). ONEDNN_MAX_CPU_ISA caps the choice.
ONEDNN_LEVELS = (
    ("sse41", {"sse4_1"}),
    ("avx", {"avx"}),
    ("avx2", {"avx2", "fma"}),
    ("avx2_vnni", {"avx2", "fma", "avx_vnni"}),
    ("avx512_core", {"avx512f", "avx512dq", "avx512bw", "avx512vl"}),
    ("avx512_core_vnni", {"avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_vnni"}),
    ("avx512_core_bf16", {"avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16"}),
    ("avx512_core_fp16", {"avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
                          "avx512_fp16"}),
    ("avx512_core_amx", {"avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
                         "amx_tile", "amx_int8", "amx_bf16"}),
    ("avx512_core_amx_fp16", {"avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
                              "amx_tile", "amx_int8", "amx_bf16", "amx_fp16", "avx512_fp16"}),
)


def parse_cpuinfo(text: str) -> dict:
    """The first processor's vendor, family, model, stepping, name and kernel-deciding flags.

    >>> facts = parse_cpuinfo("vendor_id\\t: AuthenticAMD\\ncpu family\\t: 25\\nmodel\\t\\t: 17\\n"
    ...                       "model name\\t: AMD EPYC\\nflags\\t\\t: fpu sse4_1 avx avx2 fma avx512f\\n\\nvendor_id\\t: X\\n")
    >>> facts["vendor"], facts["family"], facts["model"], facts["flags"]
    ('AuthenticAMD', '25', '17', ['sse4_1', 'avx', 'avx2', 'fma', 'avx512f'])
    """
    fields: dict[str, str] = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = set(fields.get("flags", "").split())
    return {"vendor": fields.get("vendor_id"), "family": fields.get("cpu family"), "model": fields.get("model"),
            "stepping": fields.get("stepping"), "name": fields.get("model name"),
            "flags": [flag for flag in ISA_FLAGS if flag in flags]}


def onednn_isa(flags: list[str] | set[str], cap: str | None = None) -> str | None:
    """The instruction-set level oneDNN dispatches to on a CPU with these flags, under its
    ONEDNN_MAX_CPU_ISA cap (None or ALL/DEFAULT: no cap).

    >>> onednn_isa({"sse4_1", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl",
    ...             "avx512_vnni", "avx512_bf16"})
    'avx512_core_bf16'
    >>> onednn_isa({"sse4_1", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl"}, cap="AVX2")
    'avx2'
    >>> onednn_isa(set()) is None
    True
    """
    names = [name for name, _ in ONEDNN_LEVELS]
    ceiling = names.index(cap.lower()) if cap and cap.lower() in names else len(names) - 1
    chosen = None
    for name, needs in ONEDNN_LEVELS[:ceiling + 1]:
        if needs <= set(flags):
            chosen = name
    return chosen


def cache_sizes(root: Path = Path("/sys/devices/system/cpu/cpu0/cache")) -> dict[str, str]:
    """{"L1d": "32K", "L2": "1024K", ...} of the first core, as the kernel reports them ({} elsewhere)."""
    out = {}
    for index in sorted(root.glob("index*")):
        try:
            level, kind, size = ((index / name).read_text().strip() for name in ("level", "type", "size"))
        except OSError:
            continue
        out[f"L{level}" + {"Data": "d", "Instruction": "i"}.get(kind, "")] = size
    return out


def cpu_facts() -> dict:
    """This machine's CPU as parse_cpuinfo reads it, with its caches (platform's names elsewhere)."""
    try:
        facts = parse_cpuinfo(Path("/proc/cpuinfo").read_text())
    except OSError:
        facts = {"vendor": None, "family": None, "model": None, "stepping": None, "name": cpu_name(), "flags": []}
    return {**facts, "caches": cache_sizes()}


def onednn(environ: dict | None = None, flags: list[str] | None = None) -> dict:
    """Whether TensorFlow's oneDNN custom operations are on (TF_ENABLE_ONEDNN_OPTS; on by default on
    x86 Linux), oneDNN's ISA cap (ONEDNN_MAX_CPU_ISA) and the level it dispatches to on this CPU
    (onednn_isa; checked against oneDNN's own verbose line in tests/test_threads_and_provenance.py).
    The level is dispatched with the custom operations off too: TensorFlow's matrix products go
    through oneDNN's sgemm either way (Eigen's contraction kernel; measured, benchmarks/README.md),
    so TF_ENABLE_ONEDNN_OPTS=0 does not take oneDNN's kernels out of a run.

    >>> onednn({"TF_ENABLE_ONEDNN_OPTS": "0"}, ["avx", "avx2", "fma"])
    {'custom_ops': False, 'max_cpu_isa': None, 'isa': 'avx2'}
    >>> onednn({"ONEDNN_MAX_CPU_ISA": "AVX2"}, ["sse4_1", "avx", "avx2", "fma", "avx512f"])
    {'custom_ops': True, 'max_cpu_isa': 'AVX2', 'isa': 'avx2'}
    """
    import os

    environ = os.environ if environ is None else environ
    flags = cpu_facts()["flags"] if flags is None else flags
    custom_ops = environ.get("TF_ENABLE_ONEDNN_OPTS", "1").strip().lower() not in ("0", "false")
    cap = environ.get("ONEDNN_MAX_CPU_ISA") or environ.get("DNNL_MAX_CPU_ISA")
    return {"custom_ops": custom_ops, "max_cpu_isa": cap, "isa": onednn_isa(flags, cap)}
