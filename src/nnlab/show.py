"""`nnlab show RUN_DIR`: what made one run (provenance.json) and what it measured (metrics.json or
failure.json), for every kind. The lines common to all kinds are here; each kind says how its own
settings and figures read (its `show` hook, beside its console `headline`). A damaged file is named
with what is wrong with it, and the rest of the run is still shown."""

from __future__ import annotations

from pathlib import Path

from . import kinds, records, results
from .errors import NnlabError

PROVENANCE = "provenance.json"
WIDTH = 10  # the label column


def show_lines(folder: Path) -> list[str]:
    files = {name: folder / name for name in (PROVENANCE, results.METRICS, results.FAILURE)}
    if not any(path.is_file() for path in files.values()):
        raise NnlabError(f"{folder} holds no nnlab run (no {PROVENANCE}, {results.METRICS} or {results.FAILURE})")
    parsed, damaged = {}, []
    for name, path in files.items():
        if path.is_file():
            content, problem = records.parse_file(path)
            if problem is None and not isinstance(content, dict):
                problem = f"is not a JSON object (a {type(content).__name__})"
            if problem:
                damaged.append((name, problem))
            else:
                parsed[name] = content
    if (folder / results.METRICS).is_file() and results.METRICS in parsed:
        damaged += [(p.file, p.what) for p in records.damage(folder)[1] if p.file not in dict(damaged)]
    provenance, metrics, failure = (parsed.get(n) for n in (PROVENANCE, results.METRICS, results.FAILURE))
    config = provenance.get("config") if provenance and isinstance(provenance.get("config"), dict) else None
    kind = kinds.of_record(metrics, config)
    lines: list[tuple[str, str]] = []
    lines += _guard(PROVENANCE, lambda: _provenance(provenance), damaged) if provenance else []
    if kind is None:
        lines.append(("kind", f"'{(metrics or config or {}).get('kind')}', which this nnlab does not know: only the common lines are shown"))
    else:
        lines += _guard(PROVENANCE, lambda: kind.record.show(config, None), damaged) if config else []
        lines += _guard(results.METRICS, lambda: kind.record.show(None, metrics), damaged) if metrics else []
    if failure and not metrics:
        lines += _guard(results.FAILURE, lambda: [("status", f"failed at {failure['when']}: {failure['error']}"),
                                                  ("", failure.get("traceback", "").rstrip())], damaged)
    lines += [("damaged", f"{folder / name}: {what}") for name, what in damaged]
    if damaged:
        lines.append(("", "`nnlab verify` checks the whole run; `nnlab run` moves damaged files aside and redoes it"))
    return [f"{label:<{WIDTH}} {text}".rstrip() if label else text for label, text in lines]


def _guard(name: str, make, damaged: list) -> list[tuple[str, str]]:
    """A file that parses but lacks what a run of its kind records (hand-edited, or from another
    version) is named as damaged rather than ending `show` in a traceback."""
    try:
        return list(make())
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        damaged.append((name, f"lacks what such a run records ({type(exc).__name__}: {exc})"))
        return []


def _provenance(p: dict) -> list[tuple[str, str]]:
    env, config = p["environment"], p["config"]
    dirty = " (uncommitted changes)" if env.get("dirty") else ""
    dataset = p.get("dataset")
    return [("run", f"{config['name']} / {config['variant']} / seed {p['seed']}"),
            ("run key", f"{p['run_key']}   config fingerprint {p['config_fingerprint']}"),
            *([("trained in", f"{p['same_run_as']} (the same run: copied here, not trained again)")]
              if p.get("same_run_as") else []),
            ("time", f"{p['started']} -> {p['ended']}"),
            ("code", f"nnlab {env['nnlab']} (run format {env['run_format']}), git {env.get('commit') or 'unknown'}{dirty}"),
            ("versions", f"python {env['python']}, tensorflow {env['tensorflow']}, keras {env['keras']}, numpy {env['numpy']}"),
            ("host", f"{env['platform']}; cpu {env['cpu']}; gpus {', '.join(env['gpus']) or 'none'}"),
            ("dataset", f"{dataset['file']} (sha256 {dataset['sha256']})" if dataset else "none (the kind makes its own inputs)")]
