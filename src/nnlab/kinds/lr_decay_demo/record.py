"""What an `lr_decay_demo` run records (FIELDS; a row per epoch), the rule a finished one obeys on
disk, its console line and `nnlab show`'s lines."""

from __future__ import annotations

from pathlib import Path

FIELDS = ("study", "variant", "seed", "status", "final_w", "final_loss", "epochs", "rows", "wall_time_s")


def check(folder: Path, metrics: dict, files: dict, trial: bool) -> list[tuple[str, str]]:
    """What a finished run of this kind must show on disk (nnlab verify): its figure."""
    return [] if (folder / "curves.png").is_file() else [("curves.png", "is missing")]


def headline(metrics: dict) -> str:
    first, last = metrics["rows"][0], metrics["rows"][-1]
    lines = [f"After {r['epoch']} epoch, w is {r['w']:f}, loss is {r['loss']:f}, lr is {r['lr']:f}" for r in (first, last)]
    return f"done ({metrics['wall_time_s']:.1f}s): " + "\n".join(lines)


def show(config: dict | None, metrics: dict | None) -> list[tuple[str, str]]:
    if config is not None:
        return [("descent", f"(w - {config['target']})^2 from w = {config['w0']}, lr {config['learning_rate']} x "
                            f"{config['decay_rate']}^epoch, {config['epochs']} epochs")]
    rows = metrics["rows"]
    return [("status", metrics["status"])] + [
        ("epoch", f"After {r['epoch']} epoch, w is {r['w']:f}, loss is {r['loss']:f}, lr is {r['lr']:f}") for r in (rows[0], rows[-1])] + [
        ("final", f"w {metrics['final_w']:f}, loss {metrics['final_loss']:.3g}; {metrics['wall_time_s']:.1f}s")]
