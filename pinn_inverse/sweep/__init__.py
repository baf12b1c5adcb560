"""Experiment sweeps: seeds × settings, on a local process pool or a Ray cluster.

A SPEC (:mod:`~pinn_inverse.sweep.spec`) names a runner, a grid and optional random draws of
settings, and seeds; each (settings, seed) is one cell, run as ``runner(seed=..., **settings)``
which returns a flat dict of numbers. :func:`run` runs the cells that have no finished record
in the sweep folder on an engine (:mod:`~pinn_inverse.sweep.engines`), writes one record per
cell (:mod:`~pinn_inverse.sweep.records`) and the aggregate (:mod:`~pinn_inverse.sweep.report`)::

    from pinn_inverse import sweep

    summary = sweep.run("study.yaml", "results/sweeps/study")          # local pool
    summary = sweep.run("study.yaml", "results/sweeps/study", engine="ray", address="auto")

Rerunning the same SPEC into the same folder skips finished cells and retries failed ones, so
an interrupted sweep resumes where it stopped.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from ..io import write_json
from ..validation import check_choice, check_int
from .engines import ENGINES, import_ray
from .records import read_records, write_record
from .report import aggregate, label, write_report
from .spec import RUNNERS, Cell, Spec, load_spec

__all__ = ["RUNNERS", "Cell", "Spec", "Summary", "aggregate", "load_spec", "report", "run"]


@dataclass
class Summary:
    """What a sweep did: cell counts, the failed records, the time the cells took
    (``wall_s``, the report not included) and the report's files."""

    folder: Path
    cells: int
    skipped: int
    ran: int
    failed: list = field(default_factory=list)
    not_run: int = 0
    interrupted: bool = False
    wall_s: float = 0.0
    report: list = field(default_factory=list)

    @property
    def exit_code(self):
        """0 when every cell finished, 1 when some failed, 130 when interrupted."""
        return 130 if self.interrupted else int(bool(self.failed or self.not_run))

    def __str__(self):
        ok = self.cells - len(self.failed) - self.not_run
        lines = [
            f"sweep {self.folder}: {self.cells} cells, {ok} finished ({self.skipped} from an "
            f"earlier run), {len(self.failed)} failed, {self.not_run} not run"
            f"{' (interrupted)' if self.interrupted else ''}, {self.wall_s:.1f} s"
        ]
        lines += [
            f"  failed: seed={r['seed']} {label(r['settings'])} [{r['key']}]: {r['error']}"
            for r in self.failed
        ]
        if self.report:
            lines.append(f"report: {', '.join(str(p) for p in self.report)}")
        if self.failed or self.not_run:
            lines.append("rerun the same command to resume: finished cells are skipped")
        return "\n".join(lines)


class _Progress:
    """A bar over cells with the running and failed counts; tqdm estimates the time left."""

    def __init__(self, total, done, enabled):
        self.running = self.failed = 0
        self.bar = tqdm(total=total, initial=done, desc="cells", unit="cell", disable=not enabled)
        self._show()

    def _show(self):
        self.bar.set_postfix(running=self.running, failed=self.failed)

    def started(self, cell):
        self.running += 1
        self._show()

    def finished(self, record):
        self.running = max(self.running - 1, 0)
        self.failed += record["status"] == "failed"
        self.bar.update(1)
        self._show()


def check_engine(engine, workers=None, address=None):
    """Check the engine options before any cell starts (Ray must be importable)."""
    check_choice(engine, "engine", ENGINES)
    if workers is not None:
        check_int(workers, "workers", minimum=1)
    if address is not None and engine != "ray":
        raise ValueError(f"address {address!r} is for the ray engine; pass engine='ray'")
    if engine == "ray":
        import_ray()


def run(spec, out, engine="local", workers=None, address=None, progress=True):
    """Run a sweep's unfinished cells and write their records and the aggregate.

    Parameters
    ----------
    spec : str, Path, dict or Spec
        The SPEC: a YAML/JSON file, its content as a dict, or a :class:`Spec`.
    out : str or Path
        The sweep folder: records in ``cells/``, the aggregate beside them.
    engine : {"local", "ray"}
        A local process pool, or Ray Tune (``pip install pinn_inverse[cluster]``).
    workers : int, optional
        Cells at once (default: the CPU cores here, or the cluster's CPUs for Ray).
    address : str, optional
        The Ray cluster to join (``ray.init(address=...)``); default: start Ray here.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Summary
        Counts and failures; ``summary.exit_code`` is what the command line exits with.
    """
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    check_engine(engine, workers, address)
    folder, begin = Path(out), time.perf_counter()
    write_json(
        folder / "spec.json",
        {"runner": spec.runner, "settings": spec.settings, "seeds": spec.seeds},
    )
    cells = spec.cells()
    records = read_records(folder, cells)
    pending = [c for c in cells if records.get(c.key, {}).get("status") != "ok"]
    bar = _Progress(len(cells), len(cells) - len(pending), progress)
    ran = 0

    def finished(record):
        nonlocal ran
        record["engine"] = engine
        write_record(folder, record)
        records[record["key"]] = record
        ran += 1
        bar.finished(record)

    interrupted = False
    try:
        if pending:
            ENGINES[engine](pending, folder, bar.started, finished, workers, address)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.bar.close()
    wall = time.perf_counter() - begin
    failed = [records[c.key] for c in cells if records.get(c.key, {}).get("status") == "failed"]
    return Summary(
        folder=folder,
        cells=len(cells),
        skipped=len(cells) - len(pending),
        ran=ran,
        failed=failed,
        not_run=sum(c.key not in records for c in cells),
        interrupted=interrupted,
        wall_s=wall,
        report=write_report(spec, folder),
    )


def report(spec, out):
    """Write the aggregate of the records in the sweep folder ``out``; return the paths."""
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    return write_report(spec, Path(out))
