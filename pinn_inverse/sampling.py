"""Collocation points that really resample: a private, seeded, checkpointable stream.

DeepXDE's ``dde.data.PDE`` draws its points from NumPy's global random state, and by default
(``train_distribution="Hammersley"``) from a deterministic sequence, so
``PDEPointResampler`` redraws the very same points at every call. :class:`Resampler` draws
pseudo-random points from its own ``RandomState``, seeded by the problem's seed, every
``period`` steps, and lets the problem redraw its own point sets from the same stream (points
on an interface, points around a source) through ``refresh``. Its state and the points in use
go into the training checkpoints, so that a resumed run sees the same points as an
uninterrupted one (:mod:`pinn_inverse.training`).
"""

import contextlib

import numpy as np

from .validation import check_int


class Resampler:
    """Fresh pseudo-random collocation points every ``period`` steps, from a private stream.

    Parameters
    ----------
    period : int
        Training steps between two draws (1: every step, the ED-PINN paper's choice).
    seed : int
        Seed of the stream; two seeds give different points.
    refresh : callable, optional
        ``refresh(rng, data)`` is called before each draw with the stream (a ``numpy.random.
        RandomState``) and the data, to redraw the problem's own point sets, e.g. the points
        of a ``dde.icbc.PointSetOperatorBC`` on an interface, or ``data.anchors``.

    Examples
    --------
    Build the data inside :meth:`stream`, so that its first points come from the stream too:

    >>> resampler = Resampler(period=1, seed=0)
    >>> with resampler.stream():                                     # doctest: +SKIP
    ...     data = dde.data.PDE(geom, pde, bcs, num_domain=3000, train_distribution="pseudo")
    """

    def __init__(self, period=1, seed=0, refresh=None):
        self.period = check_int(period, "period", minimum=1)
        self.rng = np.random.RandomState(check_int(seed, "seed", minimum=0))
        self.refresh = refresh

    @contextlib.contextmanager
    def stream(self):
        """Run a block with NumPy's global random state replaced by this stream's (DeepXDE's
        geometries sample from the global state); the global state is restored after."""
        saved = np.random.get_state()  # noqa: NPY002 (DeepXDE samples from the global state)
        np.random.set_state(self.rng.get_state())  # noqa: NPY002
        try:
            yield self.rng
        finally:
            self.rng.set_state(np.random.get_state())  # noqa: NPY002
            np.random.set_state(saved)  # noqa: NPY002

    def due(self, step):
        """Whether the points are redrawn after training step ``step`` (counted from 1)."""
        return step % self.period == 0

    def resample(self, data):
        """Redraw the problem's point sets, then ``data``'s domain and boundary points."""
        with self.stream():
            if self.refresh is not None:
                self.refresh(self.rng, data)
            data.resample_train_points(pde_points=True, bc_points=True)

    def state_dict(self, data):
        """The stream's state and ``data``'s current points, as numpy arrays."""
        name, keys, pos, has_gauss, cached = self.rng.get_state()
        state = {
            "rng_keys": keys,
            "rng_numbers": np.array([pos, has_gauss, cached]),
            "train_x_all": data.train_x_all,
        }
        if getattr(data, "anchors", None) is not None:
            state["anchors"] = data.anchors
        for k, points in enumerate(_point_sets(data)):
            state[f"bc_points{k}"] = points.points
        return state

    def load_state_dict(self, data, state):
        """Restore :meth:`state_dict`'s stream and points into ``data``."""
        pos, has_gauss, cached = state["rng_numbers"]
        self.rng.set_state(("MT19937", state["rng_keys"], int(pos), int(has_gauss), cached))
        data.anchors = state.get("anchors")
        for k, points in enumerate(_point_sets(data)):
            points.points = state[f"bc_points{k}"]
        data.train_x_all = state["train_x_all"]
        data.train_x_bc, data.train_x = None, None
        data.train_next_batch()


def _point_sets(data):
    """The conditions of ``data`` that carry their own points (``PointSetOperatorBC``)."""
    import deepxde as dde

    return [bc for bc in getattr(data, "bcs", []) if isinstance(bc, dde.icbc.PointSetOperatorBC)]
