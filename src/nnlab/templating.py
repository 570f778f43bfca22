"""The report's layout, as templates: what a page or a section says and in what order, written once in
Jinja2 templates (nnlab/templates/ for the report's own, a kind's folder for its section) and filled from
values the report computed; Python computes, a template lays out.

    render(template, **values)  the template's text (Markdown; HTML for *.html.j2, escaped)
    lines(template, **values)   the same as a list of lines, as the report's sections are passed on
    macro(name)                 a macro of macros.md.j2 (table, folded), for code that builds a part alone

A template speaks through `_()` as the Python code does (its messages are in the same catalogue:
`pybabel extract -F src/nnlab/locale/babel.cfg` finds both), and a value it names but was not given is
an error, not an empty cell (StrictUndefined).

    >>> render("macros.md.j2")
    ''
    >>> macro("table")(["a", "b"], [[1, 2]])
    '| a | b |\\n|---|---|\\n| 1 | 2 |'
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2

from .i18n import _, sentences

HERE = Path(__file__).parent
# The report's own templates, then the kinds' folders: "train/section.md.j2" is kinds/train/section.md.j2,
# so a kind stays one folder.
FOLDERS = (HERE / "templates", HERE / "kinds")


@functools.cache
def environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(folder) for folder in FOLDERS]),
        autoescape=lambda name: bool(name) and name.endswith(".html.j2"),  # Markdown is not escaped: it carries **bold** and links
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    environment.globals.update(_=_, sentences=sentences)
    return environment


def render(template: str, /, **values) -> str:
    return environment().get_template(template).render(**values)


def lines(template: str, /, **values) -> list[str]:
    return render(template, **values).split("\n")


def macro(name: str):
    """A macro of macros.md.j2, callable from Python: the one way a table or a fold is written."""
    return getattr(environment().get_template("macros.md.j2").module, name)
