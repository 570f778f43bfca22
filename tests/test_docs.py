"""The documentation: README a newcomer reads in a minute, the site's pages where its links say, and a
config reference that lists every key the schema has, each with what it does. (`make test` builds the
site with `mkdocs build --strict`: a broken link or anchor fails it.)"""

import re

import yaml

from conftest import ROOT
from nnlab import config_reference
from nnlab.editor_schema import study_schema
from nnlab.kinds import KINDS

README = ROOT / "README.md"
DOCS = ROOT / "docs"


def test_readme_is_a_pitch_two_commands_one_study_and_links_under_10_kb():
    text = README.read_text()
    assert len(text.encode()) < 10_000, f"README.md is {len(text.encode()):,} bytes"
    assert "make quickstart" in text and "make test" in text
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        assert not target.startswith("http") and (ROOT / target).exists(), f"README links to a missing {target}"


def test_every_page_of_the_site_is_in_its_navigation():
    def pages(nav):
        for item in nav:
            for value in item.values():
                yield from pages(value) if isinstance(value, list) else [value]

    nav = set(pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]))
    on_disk = {str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md")}
    assert nav == on_disk


def test_the_homework_page_needs_no_clone():
    text = (DOCS / "homework.md").read_text()
    commands = re.search(r"```bash\n(.*?)```", text, re.S).group(1).splitlines()
    assert len(commands) == 5 and commands[0].startswith("nnlab init")
    assert not any(word in "\n".join(commands) for word in (".venv", "make ", "configs/"))


def _schema_keys(node, path, defs, out):
    """Every key the JSON Schema holds below a kind, as config_reference names them."""
    if "$ref" in node:
        return _schema_keys(defs[node["$ref"].split("/")[-1]], path, defs, out)
    for word in ("anyOf", "oneOf"):
        for branch in node.get(word, []):
            _schema_keys(branch, path, defs, out)
    if node.get("type") == "array" and "items" in node:
        _schema_keys(node["items"], f"{path}[]", defs, out)
    for name, sub in node.get("properties", {}).items():
        out.add(f"{path}.{name}".lstrip("."))
        _schema_keys(sub, f"{path}.{name}", defs, out)
    return out


def test_the_config_reference_lists_every_key_of_every_kind_with_what_it_does():
    schema = study_schema()
    for kind in KINDS:
        rows = config_reference.kind_rows(kind, schema)
        keys = {row.key.replace("[].", "[]."): row for row in rows}
        wanted = _schema_keys(schema["$defs"][kind], "", schema["$defs"], set())
        assert wanted == set(keys), (kind, wanted ^ set(keys))
        undescribed = [row.key for row in rows if not row.description]
        assert not undescribed, f"{kind}: keys without a description (Field(description=...)): {undescribed}"
    text = config_reference.markdown()
    assert "| `model.units` |" in text and "| `repeats` |" in text and "## Suite manifests" in text
    assert "<!-- nnlab:config-reference -->" in (DOCS / "reference" / "config.md").read_text()
