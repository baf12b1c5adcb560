"""A sweep's SPEC: which runner, which settings (a grid and random samples), which seeds.

A SPEC is a YAML or JSON mapping::

    runner: mypackage.mymodule:run      # module:function, or a built-in name (RUNNERS)
    grid: {mode: [free, dipole], lbfgs: [200, 400]}
    random:                             # optional: n draws, each crossed with the grid
      n: 4
      seed: 0
      space: {lr: {loguniform: [1.0e-4, 1.0e-2]}, width: {choice: [32, 64]}}
    seeds: [0, 1, 2]

Every (settings, seed) pair is one :class:`Cell`. Everything is checked here, before any cell
starts: the runner must import and its signature must accept ``seed`` and every setting.
"""

import hashlib
import importlib
import inspect
import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from .. import __version__
from ..validation import check_int

#: the built-in runners: each problem's benchmark setting, one seed a cell
RUNNERS = {
    "ed_pinn": "pinn_inverse.eeg.study:run",
    "eand_arn": "pinn_inverse.ecg.study:run",
    "cnn_pinn": "pinn_inverse.eit.study:run",
}
KEYS = ("runner", "grid", "random", "seeds")
DISTRIBUTIONS = ("uniform", "loguniform", "randint", "choice")


@dataclass(frozen=True)
class Cell:
    """One run: ``runner(seed=seed, **settings)``; ``runner`` is ``"module:function"``."""

    runner: str
    settings: dict
    seed: int

    @property
    def key(self):
        """A hash of (runner, settings, seed, library version): the name of the cell's record."""
        identity = {
            "runner": self.runner,
            "settings": self.settings,
            "seed": self.seed,
            "version": __version__,
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Spec:
    """A checked SPEC: the runner as ``"module:function"``, the settings and the seeds."""

    runner: str
    settings: tuple
    seeds: tuple

    def cells(self):
        """Every (settings, seed) pair, settings-major, in the SPEC's order."""
        return [Cell(self.runner, s, seed) for s in self.settings for seed in self.seeds]


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads ``1e-3`` as a string; read it as a float, as YAML 1.2 and JSON do."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$"),
    list("-+0123456789."),
)


def read_spec(path):
    """Read a SPEC file (``.json`` as JSON, anything else as YAML) into a dict."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"SPEC file {path} does not exist")
    text = path.read_text()
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_Loader)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        kind = "JSON" if path.suffix == ".json" else "YAML"
        raise ValueError(f"SPEC {path} is not valid {kind}: {err}") from err
    return data


def load_spec(spec):
    """Check a SPEC (a path to YAML/JSON, or a dict) and return a :class:`Spec`.

    Raises ``ValueError`` or ``TypeError`` that says what was wrong and what is accepted: an
    unknown runner, a setting the runner does not accept, an empty grid, a bad distribution.
    """
    data = read_spec(spec) if isinstance(spec, str | Path) else spec
    if not isinstance(data, dict):
        raise TypeError(f"a SPEC must be a mapping with keys {', '.join(KEYS)}; got {data!r}")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ValueError(f"unknown SPEC key(s) {unknown}; accepted: {', '.join(KEYS)}")
    if "runner" not in data:
        raise ValueError(f"the SPEC names no runner: give module:function or one of {RUNNERS}")
    runner, function = resolve_runner(data["runner"])
    grid = _grid(data["grid"]) if "grid" in data else [{}]
    samples = _samples(data["random"], set(grid[0])) if "random" in data else [{}]
    settings = [{**g, **s} for g in grid for s in samples]
    if len({json.dumps(s, sort_keys=True) for s in settings}) < len(settings):
        raise ValueError(
            "random draws repeat a setting (a small choice space?); change random.seed or n"
        )
    seeds = _seeds(data.get("seeds"))
    check_signature(function, runner, settings[0])
    return Spec(runner, tuple(settings), seeds)


def resolve_runner(name):
    """``(module:function, function)`` for a built-in runner name or a ``module:function``."""
    if not isinstance(name, str):
        raise TypeError(
            f"runner must be a string (module:function or a built-in name), got {name!r}"
        )
    target = RUNNERS.get(name, name)
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ValueError(
            f"unknown runner {name!r}: give module:function (e.g. mypackage.study:run) or a "
            f"built-in name: {', '.join(RUNNERS)}"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(f"runner {name!r}: cannot import module {module_name!r} ({err})") from err
    function = getattr(module, attribute, None)
    if not callable(function):
        raise ValueError(f"runner {name!r}: module {module_name!r} has no function {attribute!r}")
    return target, function


def check_signature(function, runner, settings):
    """Check that ``function(seed=..., **settings)`` binds to the runner's signature."""
    parameters = inspect.signature(function).parameters
    named = {n for n, p in parameters.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    if not any(p.kind == p.VAR_KEYWORD for p in parameters.values()):
        unknown = sorted((set(settings) - named) | ({"seed"} - named))
        if unknown:
            raise ValueError(
                f"runner {runner} does not accept {', '.join(unknown)}; it accepts: "
                f"{', '.join(sorted(named)) or 'nothing'} (a runner is called as "
                f"runner(seed=..., **settings))"
            )
    missing = [
        n
        for n, p in parameters.items()
        if p.default is p.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and n not in settings
        and n != "seed"
    ]
    if missing:
        raise ValueError(f"runner {runner} requires {', '.join(missing)}; set it in the grid")


def _check_value(value, where):
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{where} must be a JSON value (number, string, list...), got {value!r}"
        ) from err
    return value


def _grid(grid):
    if not isinstance(grid, dict) or not grid:
        raise ValueError(
            f"grid must map setting names to lists of values, e.g. {{lr: [1e-3, 1e-2]}}; got "
            f"{grid!r} (to sweep seeds alone, leave grid out)"
        )
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ValueError(
                f"grid setting {name!r} needs a non-empty list of values, got {values!r}"
            )
        for value in values:
            _check_value(value, f"grid value of {name!r}")
        repeated = {json.dumps(v) for v in values if values.count(v) > 1}
        if repeated:
            raise ValueError(f"grid setting {name!r} lists {sorted(repeated)} more than once")
    return [dict(zip(grid, combo, strict=True)) for combo in itertools.product(*grid.values())]


def _samples(random, grid_names):
    """``n`` draws from ``space`` with ``numpy.random.default_rng(seed)``: the same draws on
    every engine and every rerun, so that a resumed random search finds its finished cells."""
    if (
        not isinstance(random, dict)
        or set(random) - {"n", "seed", "space"}
        or "space" not in random
    ):
        raise ValueError(
            "random must be {n: N, seed: S, space: {name: {distribution: [...]}}}, got "
            f"{random!r}"
        )
    n = check_int(random.get("n", 1), "random.n", minimum=1)
    rng = np.random.default_rng(check_int(random.get("seed", 0), "random.seed", minimum=0))
    space = random["space"]
    if not isinstance(space, dict) or not space:
        raise ValueError(f"random.space must map setting names to distributions, got {space!r}")
    clash = sorted(set(space) & grid_names)
    if clash:
        raise ValueError(f"setting(s) {clash} are in both grid and random.space; keep one")
    draws = {name: _draw(name, law, rng, n) for name, law in space.items()}
    return [{name: values[i] for name, values in draws.items()} for i in range(n)]


def _draw(name, law, rng, n):
    accepted = (
        "uniform: [low, high], loguniform: [low, high] (0 < low), randint: [low, high] "
        "(low <= k < high), choice: [a, b, ...]"
    )
    if not isinstance(law, dict) or len(law) != 1 or next(iter(law)) not in DISTRIBUTIONS:
        raise ValueError(
            f"random.space.{name}: {law!r} is not a distribution; accepted: {accepted}"
        )
    ((kind, args),) = law.items()
    if kind == "choice":
        if not isinstance(args, list) or not args:
            raise ValueError(f"random.space.{name}: choice needs a non-empty list, got {args!r}")
        return [
            _check_value(args[i], f"choice of {name!r}") for i in rng.integers(len(args), size=n)
        ]
    if (
        not isinstance(args, list)
        or len(args) != 2
        or not all(isinstance(a, int | float) and math.isfinite(a) for a in args)
        or not args[0] < args[1]
        or (kind == "loguniform" and args[0] <= 0)
    ):
        raise ValueError(
            f"random.space.{name}: {kind} needs [low, high], got {args!r}; accepted: {accepted}"
        )
    low, high = args
    if kind == "randint":
        return [int(k) for k in rng.integers(math.ceil(low), math.ceil(high), size=n)]
    if kind == "loguniform":
        return [float(v) for v in np.exp(rng.uniform(np.log(low), np.log(high), size=n))]
    return [float(v) for v in rng.uniform(low, high, size=n)]


def _seeds(seeds):
    if not isinstance(seeds, list) or not seeds:
        raise ValueError(
            f"seeds must be a non-empty list of integers, e.g. [0, 1, 2]; got {seeds!r}"
        )
    seeds = tuple(check_int(s, "seed", minimum=0) for s in seeds)
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds {list(seeds)} repeat a seed; each seed is one cell")
    return seeds
