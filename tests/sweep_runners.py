"""Cheap runners for the sweep tests (importable by spawned and Ray workers via PYTHONPATH)."""

import os
import time

import numpy as np


def quadratic(seed=0, a=1.0, b=0.0, delay=0.0):
    """``loss = a·x² + b`` at a seeded ``x``; ``delay`` seconds of sleep make a cell slow enough
    to be interrupted."""
    time.sleep(delay)
    x = np.random.default_rng(seed).normal()
    return {"loss": a * x**2 + b, "x": x, "threads": float(os.environ.get("OMP_NUM_THREADS", 0))}


def fragile(seed=0, fail_on=1):
    """Raise for the seed ``fail_on``; return ``{"value": seed}`` otherwise."""
    if seed == fail_on:
        raise ArithmeticError(f"seed {seed} is unlucky")
    return {"value": float(seed), "none_for_odd": None if seed % 2 else 1.0}


def bad_output(seed=0):
    """Return a value that is not a number."""
    return {"value": "high"}


def doomed(seed=0):
    """Kill this worker process for seed 1 (as the kernel's out-of-memory killer would)."""
    if seed == 1:
        os.kill(os.getpid(), 9)
    time.sleep(0.2)
    return {"value": float(seed)}
