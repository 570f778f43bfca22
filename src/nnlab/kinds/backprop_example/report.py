"""The `backprop_example` kind's part of the report: the forward pass against the course's printed
figures (to the digits it prints), every gradient three ways, and the update step."""

from __future__ import annotations

from pathlib import Path

from ...report_data import StudyResults
from ...report_parts import markdown_table
from .record import FORWARD, WEIGHTS
from .schema import Config

# The course's figures for its default example, as printed (strings: their digits are the claim).
COURSE = {"net_h1": "0.3775", "out_h1": "0.593269992", "out_h2": "0.596884378", "net_o1": "1.105905967",
          "out_o1": "0.75136079", "out_o2": "0.772928465", "E_o1": "0.274811083", "E_o2": "0.023560026",
          "E_total": "0.298371109"}


# Where the course's own later line uses a figure other than the one it printed: (that line, the figure
# it uses). E_o1 = ½(0.01 − 0.75136507)² = 0.274811083: the course computed with 0.75136507.
COURSE_LATER = {"out_o1": ("E_o1", "0.75136507")}


def matched_keys(forward: dict) -> list[str]:
    return [k for k in COURSE if k in forward]


def agrees(computed: float, printed: str) -> bool:
    """Whether a value rounds to the printed figure at the digits printed."""
    return f"{computed:.{len(printed.split('.')[1])}f}" == printed


def section(root: Path, study: StudyResults) -> list[str]:
    run = next((r for v in study.variants for r in v.runs if r.ok), None)
    if run is None:
        return study.heading("no run finished.")
    m, c = run.metrics, run.config
    defaults = Config(name="x", kind="backprop_example").model_dump()
    is_course = all(c.get(k) == defaults[k] for k in ("inputs", "targets", "weights", "biases"))
    f, g = m["forward"], m["gradients"]
    matched = [k for k in COURSE if agrees(f[k], COURSE[k])] if is_course else []
    found = (f"E_total = {f['E_total']:.9f} and dE/dw5 = {g['w5']['chain_rule']:.9f}; "
             + (f"{len(matched)} of the course's {len(COURSE)} printed figures agree to every digit it prints; "
                if is_course else "") +
             f"the chain rule, automatic differentiation and finite differences agree to {m['largest_disagreement']:.1e}.")
    lines = study.heading(found) + [
        f"A 2-2-2 net of sigmoid units: inputs {c['inputs']}, targets {c['targets']}, w1–w8 = "
        f"{', '.join(map(str, c['weights']))}, b1 = {c['biases'][0]}, b2 = {c['biases'][1]}; E = ½Σ(target − out)².", ""]
    lines += markdown_table(["quantity", "computed", "the course prints", "agrees"],
                            [[k, f"{f[k]:.9f}", COURSE[k] if is_course and k in COURSE else "—",
                              ("yes" if agrees(f[k], COURSE[k]) else "**no**") if is_course and k in COURSE else "—"]
                             for k in FORWARD])
    wrong = [k for k in matched_keys(f) if not agrees(f[k], COURSE[k])] if is_course else []
    if wrong:
        lines += ["", "Where a printed figure disagrees, it is not what the course's own previous figures give: " + "; ".join(
            f"{k} = σ({f['net_' + k[4:]]:.9f}) = {f[k]:.9f}, printed {COURSE[k]}" if k.startswith("out_") else
            f"{k} computes to {f[k]:.9f}, printed {COURSE[k]}" for k in wrong) + "."]
        for k in wrong:
            if k in COURSE_LATER:
                line, used = COURSE_LATER[k]
                lines += ["", f"The course's own next line, {line}, uses {k} = {used}, which is the computed value to the "
                          f"{len(used.split('.')[1])} digits it shows: the course computed with the right value and printed "
                          f"{COURSE[k]} for it, a slip of the digits, not another computation."
                          if agrees(f[k], used) else
                          f"The course's own next line, {line}, uses {k} = {used}, which is not the computed value either."]
    lines += ["", f"Each gradient three ways (the chain rule as the course writes it out; TensorFlow's GradientTape; "
              f"central differences with h = {c['finite_difference_step']}), and the weight after one step at "
              f"lr {m['learning_rate']}:", ""]
    lines += markdown_table(["weight", "value", "dE/dw: chain rule", "autodiff", "finite difference", "after the step"],
                            [[w, c["weights"][k], f"{g[w]['chain_rule']:.9f}", f"{g[w]['autodiff']:.9f}",
                              f"{g[w]['finite_difference']:.9f}", f"{m['updated_weights'][w]:.9f}"] for k, w in enumerate(WEIGHTS)])
    lines += ["", f"After the step E_total is {m['error_after_step']:.9f} (from {f['E_total']:.9f}): one step down the "
              "gradient lowers the error, as it must for a small enough rate.", ""]
    return lines
