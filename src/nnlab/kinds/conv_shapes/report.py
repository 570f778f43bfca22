"""The `conv_shapes` kind's part of the report: each convolution's output and parameters by the
formula beside Keras', and the pooled matrices."""

from __future__ import annotations

from pathlib import Path

from ...report_data import StudyResults
from ...report_parts import markdown_table


def section(root: Path, study: StudyResults) -> list[str]:
    run = next((r for v in study.variants for r in v.runs if r.ok), None)
    if run is None:
        return study.heading("no run finished.")
    m = run.metrics
    found = ("the formula W2 = (W1 − F + 2P)/S + 1 and (F·F·C + 1)·K give " + "; ".join(
        f"{c['width']}×{c['width']}×{c['channels']} → {c['formula_width']}×{c['formula_width']}×{c['filters']} with "
        f"{c['formula_parameters']} parameters" for c in m["convolutions"]) +
        (", exactly what the built Keras layers have." if m["all_agree"] else "; Keras' layers **disagree** (table below)."))
    lines = study.heading(found)
    lines += markdown_table(["case", "input W1×W1×C", "filters K of F×F", "stride S", "padding P", "W2 by the formula",
                             "Keras output shape", "parameters (F·F·C + 1)·K", "Keras parameters"],
                            [[c.get("label") or "—", f"{c['width']}×{c['width']}×{c['channels']}",
                              f"{c['filters']} of {c['kernel']}×{c['kernel']}",
                              c["stride"], c["padding"], str(c["formula_width"]) + ("" if c["formula_exact"] else " (rounded down)"),
                              "×".join(map(str, c["keras_shape"])), c["formula_parameters"], c["keras_parameters"]]
                             for c in m["convolutions"]])
    p = m["pooling"]
    grid = lambda rows: "<br>".join(" ".join(f"{v:g}" for v in row) for row in rows)
    lines += ["", f"{p['size']}×{p['size']} pooling, stride {p['size']}, by a plain loop (Keras' MaxPooling2D and "
              "AveragePooling2D give the same):", ""]
    lines += markdown_table(["input", "max pooling", "average pooling"], [[grid(p["input"]), grid(p["max"]), grid(p["average"])]])
    return lines + [""]
