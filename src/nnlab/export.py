"""Finished runs into the trackers people already use: MLflow and TensorBoard.

    nnlab export mlflow RESULTS [--tracking-uri URI] [--experiment NAME]
    nnlab export tensorboard RESULTS DIR

Each finished run (ok, or diverged with its curves up to there; a search's trials too; none of its
files damaged) becomes
    MLflow       a run: its settings as params (dotted keys), its per-epoch curves as metrics with the
                 epoch as step (the search phase's under their names, the retrain's as retrain_<name>),
                 its test and best-epoch figures, the run key, study, variant and seed as tags, and its
                 config and figures as artifacts. The run key is its identity: a run already in the
                 experiment (tag nnlab.run_key) is skipped, so exporting twice creates nothing twice.
    TensorBoard  a folder DIR/<study>/<variant>/seed-<n> with one event file: each curve as scalars per
                 epoch and the settings as hparams. A folder that already holds one is skipped.

MLflow and TensorBoard are optional extras (`pip install -e '.[export]'`), loaded only here. Why their
own writers: their readers (`mlflow ui`, TensorBoard) then see exactly what they expect.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from . import results
from .errors import MissingExtra, NnlabError
from .integrity import is_trial
from .report_data import Run, collect, collect_trials

INSTALL = "nnlab export {what} needs {package}, an optional extra: pip install -e '.[export]'"
RUN_KEY_TAG = "nnlab.run_key"
# Of a run's config, what says how it was made rather than what it is: not params.
NOT_PARAMS = ("variant", "seed", "seeds", "overrides", "name", "description", "baseline", "references")
FIGURES = ("best_epoch", "best_val_loss", "best_val_accuracy", "test_loss", "test_accuracy", "wall_time_s",
           "seconds_per_epoch", "last_epoch_test_accuracy")


@dataclass(frozen=True)
class Exported:
    created: int
    skipped: int
    where: str


EXPORTED = ("ok", "diverged", "pruned")  # runs with curves, to where a diverged or pruned one stopped; a failed one has none


def finished_runs(root: Path, warn=None) -> list[tuple[str, Run]]:
    """(study, run) for every finished run the report would read, and every search's trials."""
    out = []
    for study in collect(Path(root), warn):
        out += [(study.name, run) for run in [*study.runs, *collect_trials(study.folder, warn)]
                if run.metrics.get("status") in EXPORTED]
    return out


def params_of(config: dict) -> dict[str, str]:
    """The run's settings as MLflow params: dotted keys, values as text (lists as written)."""
    out: dict[str, str] = {}

    def walk(node, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}{key}.")
        elif node is not None:
            out[prefix.rstrip(".")] = str(node)
    walk({k: v for k, v in config.items() if k not in NOT_PARAMS}, "")
    return out


def curves_of(run: Run) -> dict[str, list[float]]:
    """Each per-epoch curve of the run: the search phase's as recorded, the retrain's as retrain_<name>."""
    curves = {k: v for k, v in (run.history or {}).items() if isinstance(v, list)}
    retrain = run.folder / "retrain_history.json"
    if retrain.is_file():
        curves.update({f"retrain_{k}": v for k, v in results.read_history(retrain).items() if isinstance(v, list)})
    return curves


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def to_mlflow(root: Path, tracking_uri: str | None = None, experiment: str | None = None, warn=None,
              progress: Callable[[int, int], None] | None = None) -> Exported:
    """Every finished run under `root` into MLflow at `tracking_uri` (MLflow's default where None):
    one experiment per study, named nnlab/<study>, unless `experiment` names one for all.

    A local store is checked before MLflow is asked (NnlabError, one line): MLflow retries a SQLite
    file it cannot create for minutes, and refuses a folder (its file store) once it has loaded."""
    if tracking_uri is not None:
        check_tracking_uri(tracking_uri)
    try:
        import mlflow
        from mlflow.entities import Metric, Param
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise MissingExtra(INSTALL.format(what="mlflow", package="MLflow")) from None
    if tracking_uri is None:
        check_tracking_uri(mlflow.get_tracking_uri(), given="MLflow's default tracking URI")
    client = MlflowClient(tracking_uri=tracking_uri)
    runs = finished_runs(root, warn)
    experiments: dict[str, tuple[str, set[str]]] = {}
    created = skipped = 0
    for k, (study, run) in enumerate(runs, 1):
        name = experiment or f"nnlab/{study}"
        if name not in experiments:
            found = client.get_experiment_by_name(name)
            experiment_id = found.experiment_id if found else client.create_experiment(
                name, artifact_location=_artifacts_beside(tracking_uri, name))
            known = {(r.data.tags.get(RUN_KEY_TAG), r.data.tags.get("mlflow.runName")) for r in _all_runs(client, experiment_id)}
            experiments[name] = (experiment_id, known)
        experiment_id, known = experiments[name]
        metrics, key = run.metrics, run.metrics["run_key"]
        trial = is_trial(run.folder, metrics)  # older trials' metrics do not say so: their folder does
        folder = f"{results.TRIALS}/{metrics['variant']}" if trial else metrics["variant"]
        # The same run (its key) may sit in two studies (imdb_layers' and imdb_units' baselines are one
        # net): each study's copy is its own MLflow run, found again by its key and name.
        identity = (key, f"{study}/{folder}/seed-{metrics['seed']}")
        if identity in known:
            skipped += 1
            continue
        tags = {RUN_KEY_TAG: key, "nnlab.study": study, "nnlab.variant": metrics["variant"],
                "nnlab.seed": str(metrics["seed"]), "nnlab.kind": str(metrics.get("kind", "train")),
                "nnlab.status": str(metrics["status"]), "nnlab.trial": str(trial).lower(),
                "mlflow.runName": f"{study}/{folder}/seed-{metrics['seed']}"}
        created_run = client.create_run(experiment_id, tags=tags, run_name=tags["mlflow.runName"])
        run_id = created_run.info.run_id
        stamp = created_run.info.start_time
        points = [Metric(name, float(v), stamp, step) for name, values in curves_of(run).items()
                  for step, v in enumerate(values, 1) if _finite(v)]
        points += [Metric(f, float(metrics[f]), stamp, 0) for f in FIGURES if _finite(metrics.get(f))]
        params = [Param(k, v[:6000]) for k, v in params_of(run.config).items()]
        for start in range(0, len(params), 100):  # what MLflow takes in one call: 100 params, 1,000 metrics
            client.log_batch(run_id, params=params[start:start + 100])
        for start in range(0, len(points), 1000):
            client.log_batch(run_id, metrics=points[start:start + 1000])
        for artifact in sorted(run.folder.iterdir()):
            if artifact.suffix in (".yaml", ".png") or artifact.name in ("metrics.json", "provenance.json"):
                client.log_artifact(run_id, str(artifact))
        client.set_terminated(run_id, "FINISHED")
        known.add(identity)
        created += 1
        if progress:
            progress(k, len(runs))
    return Exported(created, skipped, tracking_uri or mlflow.get_tracking_uri())


def _artifacts_beside(tracking_uri: str | None, experiment: str) -> str | None:
    """For a SQLite store, the artifacts in a folder beside it (mlartifacts/), not in ./mlruns of
    whatever folder the command ran in; elsewhere MLflow's own choice."""
    if not tracking_uri or not tracking_uri.startswith("sqlite:///"):
        return None
    database = Path(tracking_uri.removeprefix("sqlite:///")).absolute()
    return (database.parent / "mlartifacts" / experiment.replace("/", "-")).as_uri()


FILE_STORE = "MLFLOW_ALLOW_FILE_STORE"


def check_tracking_uri(uri: str, given: str = "--tracking-uri") -> None:
    """Refuse, in one line, a local store MLflow could not write: a SQLite file whose folder cannot
    be created or written (below a regular file, say; MLflow would retry it for minutes), and a folder
    or file: URI, MLflow's file store, which recent MLflow (3.18) keeps in maintenance mode and refuses unless
    MLFLOW_ALLOW_FILE_STORE is set (then the folder is checked likewise). A server's URI is MLflow's."""
    parsed = urlparse(uri)
    if parsed.scheme == "sqlite":
        path = uri.removeprefix("sqlite:///").split("?", 1)[0] if uri.startswith("sqlite:///") else ""
        if path in ("", ":memory:"):
            return  # an in-memory database: nothing on disk
        database = Path(path).absolute()
        if database.is_dir():
            raise NnlabError(f"{given} {uri}: {database} is a folder, not a SQLite file; name a file in it, "
                             f"e.g. sqlite:///{database / 'mlflow.db'}")
        _check_folder(database.parent, f"{given} {uri}: the SQLite file's folder")
        if database.exists() and not os.access(database, os.R_OK | os.W_OK):
            raise NnlabError(f"{given} {uri}: {database} is not writable")
    elif parsed.scheme in ("", "file"):  # a path or file:///path
        folder = Path(parsed.path if parsed.scheme == "file" else uri).absolute()
        if os.environ.get(FILE_STORE, "").lower() not in ("true", "1"):
            raise NnlabError(f"{given} {uri}: a folder is MLflow's file store, which recent MLflow refuses by default; "
                             f"use a SQLite file: sqlite:///{folder / 'mlflow.db'} (or set {FILE_STORE}=true to keep the folder)")
        _check_folder(folder, f"{given} {uri}: the folder")


def _check_folder(folder: Path, what: str) -> None:
    """`folder` exists or can be created, and can be written into; else NnlabError naming `what`."""
    probe = folder
    while not probe.exists() and not probe.is_symlink() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise NnlabError(f"{what} {folder} cannot be created: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise NnlabError(f"{what} {folder} is not writable ({probe} denies writing)")


def check_log_dir(folder: Path) -> None:
    """A TensorBoard LOGDIR that can be created and written into (TensorFlow's own refusal comes
    as a traceback, after it has loaded)."""
    _check_folder(Path(folder).absolute(), "LOGDIR")


def _all_runs(client, experiment_id: str) -> list:
    out, token = [], None
    while True:
        page = client.search_runs([experiment_id], max_results=1000, page_token=token)
        out += list(page)
        token = page.token
        if not token:
            return out


def to_tensorboard(root: Path, folder: Path, warn=None, progress: Callable[[int, int], None] | None = None) -> Exported:
    """Every finished run under `root` as TensorBoard event files under `folder`."""
    check_log_dir(folder)
    try:
        from tensorboard.plugins.hparams import api as hparams_api  # noqa: F401  (its presence: the extra)
    except ImportError:
        raise MissingExtra(INSTALL.format(what="tensorboard", package="TensorBoard")) from None
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    runs = finished_runs(root, warn)
    created = skipped = 0
    for k, (study, run) in enumerate(runs, 1):
        target = (Path(folder) / study / (results.TRIALS if is_trial(run.folder, run.metrics) else "") / run.metrics["variant"]
                  / f"seed-{run.metrics['seed']}")
        if target.is_dir() and any(target.glob("events.out.tfevents.*")):
            skipped += 1
            continue
        writer = tf.summary.create_file_writer(str(target))
        with writer.as_default():
            hp.hparams({**params_of(run.config), RUN_KEY_TAG: run.metrics["run_key"]}, trial_id=run.metrics["run_key"])
            for name, values in curves_of(run).items():
                for step, value in enumerate(values, 1):
                    if _finite(value):
                        tf.summary.scalar(name, float(value), step=step)
            for figure in FIGURES:
                if _finite(run.metrics.get(figure)):
                    tf.summary.scalar(figure, float(run.metrics[figure]), step=0)
        writer.close()
        created += 1
        if progress:
            progress(k, len(runs))
    return Exported(created, skipped, str(folder))
