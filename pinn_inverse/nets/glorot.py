"""Seeded Glorot-normal initial weights, drawn with numpy so both backends start alike."""

import math

import numpy as np


def glorot_weights(shapes, seed):
    """Glorot-normal W of each ``(fan_in, fan_out)`` in ``shapes`` and zero b, from ``seed``:
    W ~ N(0, 2 / (fan_in + fan_out)), one ``numpy.random.default_rng(seed)`` stream in order."""
    rng = np.random.default_rng(seed)
    return [
        (
            rng.normal(0.0, math.sqrt(2.0 / (n_in + n_out)), (n_in, n_out)).astype(np.float32),
            np.zeros(n_out, dtype=np.float32),
        )
        for n_in, n_out in shapes
    ]
