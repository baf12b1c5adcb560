"""Running one cell, and its record: one JSON file per cell in ``<sweep>/cells/<key>.json``.

A worker runs a cell with :func:`run_cell` and returns its record; the driver (the process
that runs the sweep) writes it with :func:`write_record`, atomically, so that an interrupted
sweep leaves whole records only, and a record exists only on the driver's disk even when the
cells run on a cluster.
"""

import json
import math
import os
import socket
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..io import write_json
from .spec import resolve_runner


def run_cell(cell):
    """Run ``cell``'s runner and return its record; an exception is recorded, not raised.

    The record has the cell's identity (``key``, ``runner``, ``settings``, ``seed``,
    ``version``), ``status`` (``"ok"`` or ``"failed"``), ``metrics`` (the runner's flat dict
    of numbers), ``error`` and ``traceback`` for a failed cell, ``wall_s``, ``host``, ``pid``
    and ``finished``.
    """
    start = time.perf_counter()
    try:
        metrics = _check_metrics(resolve_runner(cell.runner)[1](seed=cell.seed, **cell.settings))
    except Exception as err:
        record = failed_record(cell, f"{type(err).__name__}: {err}", traceback.format_exc())
    else:
        record = _record(cell, status="ok", metrics=metrics, error=None, traceback=None)
    record["wall_s"] = time.perf_counter() - start
    return record


def failed_record(cell, error, trace=None):
    """The record of a cell that failed with the message ``error`` (and a traceback)."""
    return _record(cell, status="failed", metrics={}, error=error, traceback=trace)


def _record(cell, **outcome):
    return {
        "key": cell.key,
        "runner": cell.runner,
        "settings": cell.settings,
        "seed": cell.seed,
        "version": __version__,
        **outcome,
        "wall_s": None,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _check_metrics(out):
    """A runner's result: a flat dict of finite numbers (``None`` for a metric that does not
    apply to this setting)."""
    if not isinstance(out, dict):
        raise TypeError(f"the runner must return a flat dict of numbers, got {type(out).__name__}")
    metrics = {}
    for name, value in out.items():
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise TypeError(
                f"the runner returned {name}={value!r}; every value must be a finite number "
                f"(int or float) or None"
            )
        metrics[str(name)] = None if value is None else float(value)
    return metrics


def record_path(folder, key):
    """Where the record of the cell ``key`` lives in the sweep ``folder``."""
    return Path(folder) / "cells" / f"{key}.json"


def write_record(folder, record):
    """Write a record atomically (the old record, if any, is replaced whole)."""
    return write_json(record_path(folder, record["key"]), record)


def read_records(folder, cells):
    """The records of ``cells`` that exist in ``folder``, by key.

    Raises ``ValueError`` for a record that is not JSON (written by hand: records written by a
    sweep are whole), naming the file to delete so that the cell is rerun.
    """
    records = {}
    for cell in cells:
        path = record_path(folder, cell.key)
        if not path.is_file():
            continue
        try:
            records[cell.key] = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(
                f"record {path} is not valid JSON ({err}); delete it to rerun the cell"
            ) from err
    return records
