"""The house (README: Development): imports point one way, a kind is one folder of rooms plus a line
in the registry, validating a config loads only the schemas, and the recipe is importable."""

import json
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from conftest import BASE, ROOT, shipped_configs
from nnlab import kinds

ROOMS = {"schema": ("NAME", "Config"), "record": ("FIELDS", "check", "headline", "show"),
         "run": ("dataset", "preflight", "run", "summarize"), "report": ("section",)}


def test_no_two_nnlab_modules_import_each_other_even_through_others():
    graph = grimp.build_graph("nnlab")
    loops = [(importer, imported) for importer in sorted(graph.modules) for imported in
             sorted(graph.find_modules_directly_imported_by(importer))
             if graph.find_shortest_chain(importer=imported, imported=importer)]
    assert loops == [], "import loops (each arrow closes a loop back to its importer): " + ", ".join(
        f"{a} -> {b}" for a, b in loops)


@pytest.mark.parametrize("name", kinds.NAMES)
def test_every_registered_kind_is_one_folder_whose_rooms_hold_their_jobs(name):
    folder = ROOT / "src" / "nnlab" / "kinds" / name
    assert {p.stem for p in folder.glob("*.py")} >= set(ROOMS)
    kind = kinds.named(name)
    assert kind.schema.NAME == name and kind.Config.model_fields["kind"].annotation.__args__ == (name,)
    for room, names in ROOMS.items():
        assert all(callable(getattr(getattr(kind, room), n, None)) or n in ("NAME", "FIELDS") and hasattr(getattr(kind, room), n)
                   for n in names), f"kinds/{name}/{room}.py must define {', '.join(names)}"


def test_every_kind_folder_is_registered():
    folders = {p.name for p in (ROOT / "src" / "nnlab" / "kinds").iterdir() if (p / "schema.py").is_file()}
    assert "train" in folders and folders == set(kinds.NAMES)  # not two empty sets


@pytest.mark.slow
def test_validate_and_list_load_no_tensorflow_matplotlib_or_report_code():
    probe = f"""
import sys
from click.testing import CliRunner
from nnlab.cli import main
for command in ("validate", "list"):
    result = CliRunner().invoke(main, [command, *{[str(p) for p in shipped_configs()]!r}])
    assert result.exit_code == 0, result.output
heavy = ("tensorflow", "keras", "matplotlib", "optuna", "scipy", "nnlab.report", "nnlab.report_data", "nnlab.conclusions",
         "nnlab.runner", "nnlab.training", "nnlab.plots", "nnlab.data")
print(sorted({{m.split(".")[0] if not m.startswith("nnlab") else m for m in sys.modules if m.startswith(heavy)}}))
"""
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]", f"validate/list loaded {loaded.stdout}"


@pytest.mark.slow
def test_run_studies_runs_a_study_from_python_and_every_run_records_its_kind(tmp_path, write_config):
    import nnlab

    config = write_config(BASE + "grid: {model.units: [4, 8]}\n")
    studies = nnlab.run_studies([config], results=tmp_path, seeds=2, quiet=True)
    assert [(s.name, len(s.outcomes), s.not_ok) for s in studies] == [("tiny", 4, [])]
    for outcome in studies[0].outcomes:
        metrics = json.loads(Path(tmp_path / "tiny" / f"units-{outcome.variant.split('-')[1]}" / f"seed-{outcome.seed}"
                                  / "metrics.json").read_text())
        assert (metrics["kind"], metrics["trial"], metrics["status"]) == ("train", False, "ok")
    again = nnlab.run_studies([config], results=tmp_path, seeds=2, quiet=True)  # resumes: nothing to redo
    assert len(again[0].outcomes) == 4 and all(o.skipped for o in again[0].outcomes)
    markdown, html = nnlab.write_report(tmp_path)
    assert "## tiny" in markdown.read_text() and html.is_file()


def test_every_shipped_variant_reads_back_from_its_recorded_config_as_the_same_run():
    """What provenance.json records (the variant's resolved config, defaults spelled out) must validate
    again to the same fingerprint, or verify would call the run unrepeatable and `nnlab run` redo it."""
    from nnlab.config import config_of, load_study

    for path in shipped_configs():
        for variant in load_study(path).variants:
            resolved = {"variant": variant.id, "seed": 0, "overrides": variant.overrides,
                        **variant.config.model_dump(mode="json")}
            assert config_of(resolved).fingerprint() == variant.config.fingerprint(), f"{path.name}: {variant.id}"


def test_no_module_is_over_400_lines():
    """A module past 400 lines holds more than one job (issue 36: config, cli, specs, conclusions,
    plots and the search driver each were); split it by job before it lands."""
    package = Path(__file__).resolve().parents[1] / "src" / "nnlab"
    modules = sorted(package.rglob("*.py"))
    assert len(modules) > 50
    long = {str(path.relative_to(package)): n for path in modules if (n := len(path.read_text().splitlines())) > 400}
    assert not long, long
