"""What an `activation_gallery` run records (FIELDS; a row per activation), the rule a finished one
obeys on disk, its console line and `nnlab show`'s lines."""

from __future__ import annotations

from pathlib import Path

FIELDS = ("study", "variant", "seed", "status", "interval", "points", "activations", "wall_time_s")


def check(folder: Path, metrics: dict, files: dict, trial: bool) -> list[tuple[str, str]]:
    """What a finished run of this kind must show on disk (nnlab verify): its figure."""
    return [] if (folder / "gallery.png").is_file() else [("gallery.png", "is missing")]


def headline(m: dict) -> str:
    steepest = max(m["activations"], key=lambda a: a["derivative_max"])
    return (f"done ({m['wall_time_s']:.1f}s): {len(m['activations'])} activations on [{m['interval'][0]}, {m['interval'][1]}]; "
            f"largest derivative {steepest['derivative_max']:.3f} ({steepest['activation']})")


def show(config: dict | None, metrics: dict | None) -> list[tuple[str, str]]:
    if config is not None:
        return [("gallery", f"{', '.join(config['activations'])} on [{config['x_min']}, {config['x_max']}], {config['points']} points")]
    lines = [("status", metrics["status"])]
    for a in metrics["activations"]:
        lines.append((a["activation"], f"range {a['min']:.3f} to {a['max']:.3f}; derivative {a['derivative_min']:.3f} to "
                                       f"{a['derivative_max']:.3f}, at 0 {a['derivative_at_0']:.3f}"))
    return lines
