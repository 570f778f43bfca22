"""Suite manifests (experiments/*.yaml): the studies `make all-experiments` runs, with shared seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, StrictInt, ValidationError

from .config import DEFAULT_MAX_RUNS, Study, distinct_names, load_study
from .config_file import read_yaml
from .errors import ConfigError
from .schema_errors import error_lines
from .spec_tables import MAX_SEEDS, Seed, Strict


class SuiteConfig(Strict):
    """A manifest of studies run together with the same seeds: what `make all-experiments` runs."""

    name: str = Field(description="the suite's name, printed when it runs")
    description: str = Field("", description="what the suite covers, in a line: the title of its part of the report")
    seeds: StrictInt | list[Seed] = Field(description="a count N (seeds 0..N-1) or a list")
    studies: list[str] = Field(min_length=1, description="config paths, relative to the manifest")
    jobs: StrictInt | None = Field(None, ge=1, description="runs trained at once in worker processes (--jobs "
                                   "overrides). Defaults to the cores on the command line, 1 from Python")
    executor: Literal["local", "threads", "ray"] = Field("local", description="where runs execute (--executor overrides)")
    ray_address: str | None = Field(None, description="a running Ray cluster; default a local Ray (--ray-address overrides)")

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.seeds)) if isinstance(self.seeds, int) else list(self.seeds)


def load_suite(path: str | Path, overrides: dict[str, Any] | None = None,
               max_runs: int = DEFAULT_MAX_RUNS) -> tuple[SuiteConfig, list[Study]]:
    """The manifest and its studies, each run with the suite's seeds and held to `max_runs` with them."""
    path = Path(path)
    try:
        suite = SuiteConfig.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise ConfigError("\n".join(f"{path}: {line}" for line in error_lines(exc, SuiteConfig))) from None
    if isinstance(suite.seeds, int) and suite.seeds <= 0 or suite.seeds == []:
        raise ConfigError(f"{path}: seeds: give a positive count or a non-empty list, got {suite.seeds}")
    count = suite.seeds if isinstance(suite.seeds, int) else len(suite.seeds)
    if count > MAX_SEEDS:  # before seed_list spells a count out
        raise ConfigError(f"{path}: seeds: {count:,} seeds, above the limit of {MAX_SEEDS:,}")
    overrides = {"seeds": suite.seed_list, **(overrides or {})}
    return suite, distinct_names([load_study(path.parent / study, overrides, max_runs) for study in suite.studies])
