"""Issue 23: which search strategy? LIPO as a strategy (dlib's global optimiser, ask-and-tell, resumed
by replaying finished trials), the grid in a seeded order, and a comparison of strategies over the
same space and budget whose searches share trials of the same settings."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import BASE
from nnlab.config import load_study
from nnlab.errors import ConfigError
from nnlab.search import lipo
from nnlab.search.propose import _grid_point
from nnlab.search.spec import SearchSpec

SPACE = {"model.units": [32, 64, 128, 256], "model.hidden_layers": {"low": 1, "high": 3},
         "optimizer.learning_rate": {"low": 1.0e-4, "high": 1.0e-2, "log": True}, "model.dropout": {"low": 0.0, "high": 0.5}}


def spec(**given) -> SearchSpec:
    return SearchSpec.model_validate({"trials": 20, "metric": "val_loss", "space": SPACE, **given})


# --- the spec ------------------------------------------------------------------------------------

def test_a_comparison_runs_one_search_per_strategy_and_search_seed_and_its_grid_is_shuffled():
    compared = spec(compare={"strategies": ["grid", "random", "lipo"], "seeds": [0, 1]}, grid_points=3)
    labels = [s.label for s in compared.searches()]
    assert labels == ["grid-seed-0", "grid-seed-1", "random-seed-0", "random-seed-1", "lipo-seed-0", "lipo-seed-1"]
    assert {s.grid_order for s in compared.searches() if s.strategy == "grid"} == {"shuffled"}
    assert compared.all_trials == 6 * 20 and compared.tested == 7


def test_the_grid_spaces_a_real_range_evenly_on_its_scale():
    grid = spec(strategy="grid", grid_points=3).grid()
    assert grid["optimizer.learning_rate"] == [0.0001, 0.001, 0.01] and grid["model.dropout"] == [0.0, 0.25, 0.5]
    assert grid["model.hidden_layers"] == [1, 2, 3]


@pytest.mark.parametrize("given, message", [
    ({"strategy": "random", "compare": {"strategies": ["random", "lipo"]}}, "leave strategy: out"),
    ({}, "give strategy: (one search) or compare:"),
    ({"compare": {"strategies": ["random", "lipo"]}, "pruning": {}}, "compare: takes no pruning"),
    ({"compare": {"strategies": ["random", "random"]}}, "must not repeat"),
    ({"compare": {"strategies": ["grid", "random"]}}, "grid_points: N"),
    ({"compare": {"strategies": ["random"]}}, "at least 2"),
])
def test_a_bad_comparison_is_refused_before_anything_trains(given, message):
    with pytest.raises(ValueError) as refused:
        spec(**given)
    assert message in str(refused.value)


def test_a_comparison_config_is_refused_with_its_file_and_key_and_the_shipped_ones_load(write_config):
    from conftest import CONFIGS

    study = load_study(CONFIGS / "reuters_search_methods.yaml")
    assert len(study.search.searches()) == 14 and study.run_count == 14 * 20 + 15 * 3  # guess and bobyqa: one search each
    for name in ("reuters_grid", "reuters_random"):
        assert load_study(CONFIGS / f"{name}.yaml").search.strategy == name.split("_")[1]
    text = (CONFIGS / "reuters_search_methods.yaml").read_text().replace("seeds: [0, 1, 2]}", "seeds: [0, 0]}")
    with pytest.raises(ConfigError) as refused:
        load_study(write_config(text))
    assert "search.compare.seeds" in str(refused.value) and "must not repeat" in str(refused.value)


def test_a_shuffled_grid_point_is_read_from_its_index_in_the_order_product_lists_them():
    import itertools

    grid = {"a": [1, 2], "b": ["x", "y", "z"]}
    listed = [dict(zip(grid, p)) for p in itertools.product(*grid.values())]
    assert [_grid_point(grid, [2, 3], k) for k in range(6)] == listed


# --- LIPO ----------------------------------------------------------------------------------------

def loss_of(params: dict) -> float:
    """A smooth bowl with its lowest at 128 units, 2 layers, a rate of 1e-3 and no dropout."""
    import math

    return ((math.log10(params["optimizer.learning_rate"]) + 3) ** 2 + (params["model.hidden_layers"] - 2) ** 2
            + [32, 64, 128, 256].index(params["model.units"]) * 0.0 + abs(params["model.units"] - 128) / 128
            + params["model.dropout"])


def test_lipo_proposes_settings_inside_the_space_and_closes_in_on_the_lowest():
    pytest.importorskip("dlib")
    search = spec(strategy="lipo", seed=0)
    finished = []
    for position in range(20):
        params = lipo.next_params(search, finished, position)
        assert params["model.units"] in SPACE["model.units"] and params["model.hidden_layers"] in (1, 2, 3)
        assert 1e-4 <= params["optimizer.learning_rate"] <= 1e-2 and 0.0 <= params["model.dropout"] <= 0.5
        finished.append((params, loss_of(params)))
    first, best = loss_of(finished[0][0]), min(value for _, value in finished)
    assert best < first and best < 0.3


def test_lipo_replayed_from_the_same_trials_proposes_the_same_point_so_a_resumed_search_repeats_itself():
    pytest.importorskip("dlib")
    search = spec(strategy="lipo", seed=3)
    finished = []
    for position in range(6):
        finished.append((params := lipo.next_params(search, finished, position), loss_of(params)))
    again = lipo.next_params(search, finished, 6)
    assert again == lipo.next_params(search, list(finished), 6)
    assert again not in [params for params, _ in finished]  # a fresh point, though the optimiser was rebuilt


def test_a_failed_trial_is_replayed_as_the_worst_figure_so_lipo_moves_away_from_it():
    pytest.importorskip("dlib")
    search = spec(strategy="lipo", seed=0)
    first = lipo.next_params(search, [], 0)
    following = lipo.next_params(search, [(first, None), (dict(first, **{"model.dropout": 0.5}), 1.0)], 2)
    assert following != first


def test_without_dlib_the_lipo_strategy_says_in_one_line_how_to_install_it(monkeypatch):
    import importlib.util

    from nnlab.errors import MissingExtra

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "dlib" else real(name, *a))
    with pytest.raises(MissingExtra) as missing:
        lipo.require()
    assert "pip install -e '.[lipo]'" in str(missing.value) and "\n" not in str(missing.value)


# --- guess-and-check and BOBYQA (issue 35: the course's other named methods) -----------------------

GUESSES = [{"model.units": u, "model.hidden_layers": 2, "optimizer.learning_rate": 1e-3, "model.dropout": 0.0} for u in (64, 32, 128)]


def test_guess_and_check_tries_the_hand_picked_settings_in_their_order(monkeypatch):
    from nnlab.search import propose

    search = spec(strategy="guess", trials=3, guesses=GUESSES)
    queued = []

    class Search:  # what propose.ask reads of an Optuna study, with nothing waiting
        def get_trials(self, **_):
            return []

        def enqueue_trial(self, params):
            queued.append(params)

        def ask(self, _):
            raise StopIteration

    for position in range(3):
        with pytest.raises(StopIteration):
            propose.ask(Search(), None, search, position)
    assert queued == GUESSES


@pytest.mark.parametrize("given, message", [
    ({"strategy": "guess", "trials": 4, "guesses": GUESSES}, "give at least trials (4) of them, got 3"),
    ({"strategy": "guess", "trials": 1, "guesses": [{"model.units": 64}]}, "guesses[0]: give a value for every key of the space"),
    ({"strategy": "guess", "trials": 1, "guesses": [dict(GUESSES[0], **{"model.units": 100})]},
     "guesses[0].model.units: 100 is outside the space"),
    ({"strategy": "guess", "trials": 1, "guesses": [dict(GUESSES[0], **{"model.hidden_layers": 2.5})]},
     "guesses[0].model.hidden_layers: 2.5 is outside"),
    ({"strategy": "random", "guesses": GUESSES}, "guesses: are tried by the guess strategy only"),
    ({"strategy": "bobyqa", "space": {"model.units": [32, 64]}}, "two or more keys that vary"),
])
def test_bad_guesses_and_a_one_key_bobyqa_are_refused(given, message):
    with pytest.raises(ValueError) as refused:
        spec(**given)
    assert message in str(refused.value)


def test_only_the_guess_strategys_search_carries_the_guesses_so_the_others_keep_their_keys():
    with_guess = spec(compare={"strategies": ["random", "guess"], "seeds": [0]}, trials=3, guesses=GUESSES)
    without = spec(compare={"strategies": ["random", "lipo"], "seeds": [0]}, trials=3)
    random_with, guess = with_guess.searches()
    assert random_with.guesses is None and guess.guesses == GUESSES
    assert random_with.key("base") == without.searches()[0].key("base")


def test_a_strategy_that_draws_on_no_seed_searches_once_and_is_set_against_random_by_a_one_sample_test():
    from nnlab.search.comparison import _welch

    compared = spec(compare={"strategies": ["random", "bobyqa"], "seeds": [0, 1, 2]})
    assert [s.label for s in compared.searches()] == ["random-seed-0", "random-seed-1", "random-seed-2", "bobyqa-seed-0"]
    c = _welch([0.80], [0.90, 0.92, 0.88], fixed=True)  # random's three searches against BOBYQA's one figure
    assert c.difference == pytest.approx(-0.10) and c.p_value == pytest.approx(0.0131, abs=1e-3)
    assert (c.low, c.high) == (pytest.approx(-0.1497, abs=1e-3), pytest.approx(-0.0503, abs=1e-3))
    assert _welch([0.80], [0.90, 0.92, 0.88]).low is None  # as Welch's, one search a side has no interval


def test_bobyqa_starts_from_the_configs_settings_and_closes_in_on_the_lowest():
    pytest.importorskip("nlopt")
    from nnlab.search import bobyqa

    search = spec(strategy="bobyqa")
    start = {"model.units": 64, "model.hidden_layers": 2, "optimizer.learning_rate": 1e-3, "model.dropout": 0.0}
    finished = []
    for _ in range(20):
        params = bobyqa.next_params(search, finished, start)
        assert params["model.units"] in SPACE["model.units"] and params["model.hidden_layers"] in (1, 2, 3)
        assert 1e-4 <= params["optimizer.learning_rate"] <= 1e-2 and 0.0 <= params["model.dropout"] <= 0.5
        finished.append((params, loss_of(params)))
    assert finished[0][0] == start  # the good start is the first trial
    assert min(value for _, value in finished) < loss_of(start)
    again = bobyqa.next_params(search, list(finished), start)
    assert again == bobyqa.next_params(search, finished, start)  # replayed from the same figures: the same point


def test_bobyqa_refuses_a_config_whose_own_settings_lie_outside_the_space(write_config):
    from nnlab.search import bobyqa

    config = write_config(BASE + "search:\n  strategy: bobyqa\n  trials: 3\n  space:\n    model.units: [16, 32]\n"
                          "    optimizer.learning_rate: {low: 1.0e-3, high: 1.0e-2, log: true}\n")
    study = load_study(config)
    with pytest.raises(ConfigError, match=r"study.yaml: search.space.model.units: the bobyqa strategy starts from the "
                                          r"config's own settings, and model.units is 8"):
        bobyqa.start(study.search, study.variants[0].config, study.path)


# --- a comparison, end to end --------------------------------------------------------------------

COMPARISON = BASE.replace("name: tiny", "name: methods") + """seeds: [0, 1]
search:
  compare: {strategies: [grid, random, lipo], seeds: [0, 1]}
  trials: 3
  grid_points: 2
  space:
    model.units: [8, 16]
    optimizer.learning_rate: {low: 1.0e-3, high: 1.0e-2, log: true}
"""


def trained_trials(results) -> dict:
    """Each trial folder's finished run: its key and when its metrics were written."""
    return {m.parent.parent.name: (json.loads(m.read_text())["run_key"], m.stat().st_mtime_ns)
            for m in (results / "methods" / "trials").glob("*/seed-0/metrics.json")}


@pytest.mark.slow
def test_a_comparison_killed_mid_way_resumes_every_search_without_retraining_a_finished_trial(tmp_path, write_config):
    pytest.importorskip("dlib")
    config, results = write_config(COMPARISON), tmp_path / "results"
    command = [sys.executable, "-m", "nnlab.cli", "run", str(config), "--results", str(results), "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while len(trained_trials(results)) < 4 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = trained_trials(results)
    assert 4 <= len(before) and not (results / "methods" / "comparison.json").exists()
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    after = trained_trials(results)
    assert all(after[name] == stamp for name, stamp in before.items())  # none retrained
    comparison = json.loads((results / "methods" / "comparison.json").read_text())
    assert [s["label"] for s in comparison["searches"]] == [f"{m}-seed-{k}" for m in ("grid", "random", "lipo") for k in (0, 1)]
    assert all(len(s["trials"]) == 3 and all(t["status"] == "ok" for t in s["trials"]) for s in comparison["searches"])
    proposed = sum(len(s["trials"]) for s in comparison["searches"])
    assert len(after) < proposed  # the grid's seeds and LIPO's first point share their trials
    for search in comparison["searches"]:  # every choice retrained and tested over the study's two seeds
        assert len(list((results / "methods" / search["best"]["variant"]).glob("seed-*/metrics.json"))) == 2
    text = subprocess.run([sys.executable, "-m", "nnlab.cli", "report", "--results", str(results)],
                          capture_output=True, text=True, timeout=300)
    assert text.returncode == 0, text.stderr
    report = (results / "report.md").read_text()
    assert "**Does LIPO beat random search here?**" in report and "![methods search methods]" in report


@pytest.mark.slow
def test_guess_and_bobyqa_search_beside_random_and_the_report_names_them(tmp_path, write_config):
    pytest.importorskip("nlopt")
    config = write_config(BASE.replace("name: tiny", "name: methods") + """seeds: [0]
search:
  compare: {strategies: [random, guess, bobyqa], seeds: [0]}
  trials: 3
  guesses:
    - {model.units: 16, optimizer.learning_rate: 0.001}
    - {model.units: 8, optimizer.learning_rate: 0.01}
    - {model.units: 16, optimizer.learning_rate: 0.003}
  space:
    model.units: [8, 16]
    optimizer.learning_rate: {low: 1.0e-3, high: 1.0e-2, log: true}
""")
    results = tmp_path / "results"
    ran = subprocess.run([sys.executable, "-m", "nnlab.cli", "run", str(config), "--results", str(results), "--quiet"],
                         capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stderr
    searches = {s["strategy"]: s for s in json.loads((results / "methods" / "comparison.json").read_text())["searches"]}
    tried = lambda strategy: [t["params"] for t in sorted(searches[strategy]["trials"], key=lambda t: t["number"])]
    assert [p["model.units"] for p in tried("guess")] == [16, 8, 16]
    assert tried("bobyqa")[0] == {"model.units": 8, "optimizer.learning_rate": 0.001}  # the config's own settings first
    assert len(tried("bobyqa")) == 3
    report = subprocess.run([sys.executable, "-m", "nnlab.cli", "report", "--results", str(results)],
                            capture_output=True, text=True, timeout=300)
    assert report.returncode == 0, report.stderr
    text = (results / "report.md").read_text()
    assert "guess-and-check (hand-picked, in order)" in text and "BOBYQA from the config's settings (NLopt)" in text


def test_a_search_stored_before_the_comparison_options_existed_keeps_its_key_and_resumes():
    """Keys computed with the code before issue 23 (commit fd8718d): a changed key would refuse the
    committed reuters_search's storage as "another search"."""
    bayesian = SearchSpec.model_validate({
        "strategy": "bayesian", "trials": 20, "metric": "val_loss", "startup_trials": 8,
        "pruning": {"startup_trials": 5, "warmup_epochs": 4},
        "space": {"model.units": [32, 64, 128, 256], "model.hidden_layers": {"low": 1, "high": 3},
                  "optimizer.learning_rate": {"low": 1e-4, "high": 1e-2, "log": True}}})
    grid = SearchSpec.model_validate({"strategy": "grid", "metric": "val_loss", "space": {"model.units": [32, 64]}})
    assert (bayesian.key("base"), grid.key("base")) == ("f26279fe9c039b21", "78021d737e7e89af")
    assert spec(strategy="grid", grid_points=3).key("base") != spec(strategy="grid", grid_points=4).key("base")


def test_trials_on_the_command_line_cap_a_search_studys_budget_and_no_other_study_hears_of_it(write_config):
    """--trials N, as --epochs N: a smoke run of the comparison in minutes (CI's smoke report uses 5)."""
    from conftest import CONFIGS
    from nnlab.config import command_line_overrides

    capped = load_study(CONFIGS / "reuters_search_methods.yaml", command_line_overrides(trials=5))
    assert capped.search.trials == 5 and {s.budget for s in capped.search.searches()} == {5}
    assert load_study(CONFIGS / "reuters_search_methods.yaml").search.trials == 20
    plain = load_study(write_config(BASE), command_line_overrides(trials=5, epochs=3))
    assert plain.variants[0].config.epochs == 3  # a study without a search trains as it would without --trials
