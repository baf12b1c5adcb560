"""Where cells run: a local process pool (the default) or a Ray cluster through Ray Tune.

An engine is called as ``engine(cells, folder, started, finished, workers, address)``: it
runs every cell, calls ``started(cell)`` when one starts and ``finished(record)`` in the
driver when its record is back; the driver writes the records. Each worker runs one cell at
a time on one CPU thread, so that ``workers`` cells share ``workers`` cores without
oversubscribing them, and in a process of its own: a cell inherits nothing from the cells that
ran before it (a DeepXDE backend already imported, a TensorFlow graph, a global random state),
so its record does not depend on the order or the engine the cells ran in.
"""

import json
import multiprocessing
import os
import signal
import threading
from multiprocessing.connection import wait
from pathlib import Path

from ..backend import set_threads
from .records import failed_record, run_cell


def _cell_process(cell, conn):
    """The body of a worker process: one cell on one thread, its record sent back.

    Ctrl-C is the driver's to handle (it terminates the workers), so that a cell stopped by
    it is not recorded as one that failed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_threads(1)
    conn.send(run_cell(cell))
    conn.close()


def run_local(cells, folder, started, finished, workers=None, address=None):
    """Run ``cells`` on ``workers`` processes at a time (default: one per CPU core).

    Every cell runs in a process of its own, spawned, not forked (a forked TensorFlow or
    PyTorch runtime can hang). A worker that dies before it sends its record (killed, out
    of memory) fails its own cell, and the others go on. When the driver stops (Ctrl-C,
    ``kill``'s SIGTERM, an error), the workers still running are terminated and waited for,
    so nothing outlives the command and no record is half written: records are written by
    the driver only. (SIGKILL gives the driver no chance to: kill the process group then.)
    """
    workers = workers or len(os.sched_getaffinity(0))
    queue, running = list(reversed(cells)), {}
    context = multiprocessing.get_context("spawn")
    # SIGTERM's default ends the driver at once, leaving its workers running: stop as on an
    # error instead (exit status 128 + 15, as the default gives)
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main else None
    try:
        while queue or running:
            while queue and len(running) < workers:
                cell = queue.pop()
                receive, send = context.Pipe(duplex=False)
                process = context.Process(target=_cell_process, args=(cell, send), daemon=True)
                process.start()
                send.close()  # the child holds the sending end; EOF when it exits
                running[receive] = (process, cell)
                started(cell)
            for receive in wait(list(running)):
                process, cell = running.pop(receive)
                try:
                    record = receive.recv()
                except EOFError:
                    process.join()
                    record = failed_record(
                        cell,
                        f"the worker process died (exit code {process.exitcode}: killed, or "
                        f"out of memory) while this cell was running",
                    )
                receive.close()
                process.join()
                finished(record)
    finally:
        for process, _ in running.values():
            process.terminate()
        for process, _ in running.values():
            process.join()
        if main:
            signal.signal(signal.SIGTERM, previous)


def _terminated(signum, frame):
    raise SystemExit(128 + signum)


def import_ray():
    """``(ray, ray.tune)``, or an ``ImportError`` that says how to install them."""
    try:
        import ray
        from ray import tune
    except ImportError as err:
        raise ImportError(
            f"the ray engine needs Ray Tune ({err}); install it with "
            f"pip install 'pinn_inverse[cluster]' (or pip install 'ray[tune]')"
        ) from err
    return ray, tune


def _trainable(config, cells):
    """A Tune trial: one cell. The record travels as JSON text, because Tune's result
    loggers flatten nested dicts and drop or coerce values that are not numbers."""
    set_threads(1)
    return {"record": json.dumps(run_cell(cells[config["cell"]]))}


def run_ray(cells, folder, started, finished, workers=None, address=None):
    """Run ``cells`` as Ray Tune trials, one CPU each, at most ``workers`` at once, each in a
    fresh worker process (no actor reuse, as in the local pool).

    The search space is a ``tune.grid_search`` over the cells still to run (settings ×
    seeds; finished ones are not searched again), so random draws are made once, by the
    SPEC, and are the same on every engine. Ray is started on this machine, or joined at
    ``address`` (e.g. ``"auto"`` or ``"ray://head:10001"``) unless it is already
    initialised; a Ray instance this function started is shut down at the end.
    """
    ray, tune = import_ray()
    by_key = {cell.key: cell for cell in cells}

    class Records(tune.Callback):
        """Hands each finished trial's record to the driver as it arrives."""

        def on_trial_start(self, iteration, trials, trial, **info):
            started(by_key[trial.config["cell"]])

        def on_trial_complete(self, iteration, trials, trial, **info):
            finished(json.loads(trial.last_result["record"]))

        def on_trial_error(self, iteration, trials, trial, **info):
            text = Path(trial.error_file).read_text() if trial.error_file else ""
            lines = [line for line in text.splitlines() if line.strip()]
            error = f"Ray trial failed: {lines[-1] if lines else 'no error file'}"
            finished(failed_record(by_key[trial.config["cell"]], error, text or None))

    owner = not ray.is_initialized()
    if owner:
        ray.init(address=address, **({} if address else {"include_dashboard": False}))
    try:
        tuner = tune.Tuner(
            tune.with_resources(tune.with_parameters(_trainable, cells=by_key), {"cpu": 1}),
            param_space={"cell": tune.grid_search(list(by_key))},
            tune_config=tune.TuneConfig(max_concurrent_trials=workers, reuse_actors=False),
            run_config=tune.RunConfig(
                storage_path=str(Path(folder, "tune").resolve()),
                verbose=0,
                callbacks=[Records()],
            ),
        )
        tuner.fit()
    finally:
        if owner:
            ray.shutdown()


ENGINES = {"local": run_local, "ray": run_ray}
