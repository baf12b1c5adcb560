"""What every benchmark run through the sweep shares: the options of its sweep, the record of
what was measured (``benchmark.json``: commit, versions, engine, SPEC, the paper's numbers),
the sweep itself (:func:`pinn_inverse.sweep.run`, resumable) and its ``tables.md``.

A benchmark's module must not import DeepXDE at its top: the sweep's workers are spawned
processes that import the driver's ``__main__`` again, and a cell chooses its own backend.
"""

import json
import subprocess
from pathlib import Path

from pinn_inverse import sweep
from pinn_inverse.io import atomic_path, versions, write_json
from pinn_inverse.sweep.records import read_records


def commit():
    """The git commit of the code measured (None outside a checkout)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def load(folder, status="ok"):
    """A sweep folder's aggregate rows and its records of ``status`` (``None``: all), in the
    SPEC's order."""
    folder = Path(folder)
    saved = json.loads((folder / "spec.json").read_text())
    spec = sweep.Spec(saved["runner"], tuple(saved["settings"]), tuple(saved["seeds"]))
    records = read_records(folder, spec.cells())
    kept = [records[c.key] for c in spec.cells() if c.key in records]
    kept = [r for r in kept if status is None or r.get("status") == status]
    rows = json.loads((folder / "aggregate.json").read_text())["rows"]
    return rows, kept


def add_arguments(parser):
    """``--workers``, ``--engine`` and ``--out``."""
    parser.add_argument("--workers", type=int, default=2, help="cells at once (one thread each)")
    parser.add_argument("--engine", choices=("local", "ray"), default="local")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/sweeps"))


def run(spec, folder, args, paper, tables):
    """Check ``spec``, record what is measured, run the sweep into ``folder`` and write
    ``tables(folder)`` to ``folder/tables.md``; return the sweep's exit code."""
    checked = sweep.load_spec(spec)  # refuses a bad option before any cell starts
    write_json(
        folder / "benchmark.json",
        {
            "commit": commit(),
            "versions": versions(),
            "workers": args.workers,
            "threads": 1,
            "engine": args.engine,
            "spec": spec,
            "paper": paper,
        },
    )
    summary = sweep.run(checked, folder, engine=args.engine, workers=args.workers)
    print(summary)
    with atomic_path(folder / "tables.md") as tmp:
        tmp.write_text(tables(folder) + "\n")
    print(f"wrote {folder / 'tables.md'}")
    return summary.exit_code
