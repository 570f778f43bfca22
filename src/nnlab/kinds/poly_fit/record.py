"""What a `poly_fit` run records (FIELDS; the sample it was fitted to, in data.json), the rule a
finished one obeys on disk, its console line and `nnlab show`'s lines."""

from __future__ import annotations

from pathlib import Path

FIELDS = ("study", "variant", "seed", "status", "repeats", "epochs", "normalize", "noise_floor", "final_train_mse",
          "final_val_mse", "min_val_mse", "min_val_epoch", "overfit", "epochs_to_fit", "repeats_fitted", "diverged_repeats",
          "wall_time_s")


def check(folder: Path, metrics: dict, files: dict, trial: bool) -> list[tuple[str, str]]:
    """What a finished run of this kind must show on disk (nnlab verify): its sample and its figure."""
    problems = [] if (folder / "fit.png").is_file() else [("fit.png", "is missing")]
    data = files.get("data.json")
    if not isinstance(data, dict) or not all(isinstance(data.get(k), list) for k in ("x_train", "y_train", "x_val", "y_val")):
        problems.append(("data.json", "is missing or holds no sample"))
    return problems


def headline(metrics: dict) -> str:
    m = metrics
    if m["status"] == "diverged":
        return f"DIVERGED: every one of the {m['repeats']} initialisations ended with a non-finite loss"
    return (f"done ({m['wall_time_s']:.1f}s): {'normalised' if m['normalize'] else 'raw'} x, median over {m['repeats']} "
            f"initialisations: train MSE {m['final_train_mse']:.3g}, validation MSE {m['final_val_mse']:.3g} at the end, "
            f"lowest {m['min_val_mse']:.3g} at epoch {m['min_val_epoch']:.0f} (noise floor {m['noise_floor']:.3g})"
            + (f"; {m['diverged_repeats']} diverged" if m["diverged_repeats"] else ""))


def show(config: dict | None, metrics: dict | None) -> list[tuple[str, str]]:
    if config is not None:
        m = config["model"]
        return [("data", f"y = polynomial {config['coefficients']} on {config['x_range']} + N(0, {config['noise']}^2); "
                         f"{config['train_points']} training and {config['validation_points']} validation points; x "
                         f"{'normalised' if config['normalize'] else 'raw'}"),
                ("model", f"1-{'-'.join(map(str, m['units']))}-1, {m['activation']}; {config['optimizer']} lr "
                          f"{config['learning_rate']}, {config['epochs']} full-batch epochs, {config['repeats']} initialisations")]
    m = metrics
    if m["status"] != "ok":
        return [("status", f"{m['status']}: all {m['repeats']} initialisations")]
    return [("status", m["status"] + (f" ({m['diverged_repeats']} of {m['repeats']} initialisations diverged)"
                                      if m["diverged_repeats"] else "")),
            ("train MSE", f"{m['final_train_mse']:.4g} at the end (median over initialisations)"),
            ("val MSE", f"{m['final_val_mse']:.4g} at the end; lowest {m['min_val_mse']:.4g} at epoch {m['min_val_epoch']:.0f}; "
                        f"the noise alone gives {m['noise_floor']:.4g}"),
            ("time", f"{m['wall_time_s']:.1f}s")]
