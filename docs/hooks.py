"""MkDocs hooks (mkdocs.yml: hooks): the pages that are written from the code, so they cannot drift
from it. A page asks for one by a marker on a line of its own."""

from __future__ import annotations

from pathlib import Path

import yaml

from nnlab import config_reference
from nnlab.report import COURSE_PARTS

ROOT = Path(__file__).resolve().parent.parent


def studies() -> str:
    """Each suite in the course's order (the report's parts), its studies with their descriptions."""
    lines = []
    for name in COURSE_PARTS:
        suite = yaml.safe_load((ROOT / "experiments" / f"{name}.yaml").read_text())
        seeds = suite["seeds"] if isinstance(suite["seeds"], int) else len(suite["seeds"])
        lines += [f"## {suite['description']}", "",
                  f"`nnlab suite {name}` runs these at {seeds} seeds each (`experiments/{name}.yaml`):", "",
                  "| study | what it asks |", "|---|---|"]
        for path in suite["studies"]:
            config = yaml.safe_load((ROOT / "experiments" / path).read_text())
            description = " ".join(str(config.get("description", "")).split()).replace("|", "\\|")
            lines.append(f"| `{config['name']}` | {description} |")
        lines.append("")
    return "\n".join(lines)


MARKERS = {"<!-- nnlab:config-reference -->": config_reference.markdown, "<!-- nnlab:studies -->": studies}


def on_page_markdown(markdown: str, page, config, files) -> str:
    for marker, write in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, write())
    return markdown
