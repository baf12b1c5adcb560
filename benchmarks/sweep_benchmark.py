"""What every benchmark run through the sweep shares: the options of its sweep, the record of
what was measured (``benchmark.json``: commit, versions, engine, SPEC, the paper's numbers),
the sweep itself (:func:`pinn_inverse.sweep.run`, resumable) and its ``tables.md``.

A benchmark's module must not import DeepXDE at its top: the sweep's workers are spawned
processes that import the driver's ``__main__`` again, and a cell chooses its own backend.
"""

import subprocess
from pathlib import Path

from pinn_inverse import sweep
from pinn_inverse.io import atomic_path, versions, write_json


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
