"""Mesh × time as a DeepXDE ``Data``: structured batches of whole frames, seeded and resumable.

A batch is every heart node at a set of frames: ``n_slices`` centre frames drawn at random
(without replacement) and, for the temporal stencils, each centre's four stencil neighbours
(±τ, ±2τ; the first or last five frames at the ends, eqs. 17-18). Its inputs are ordered frame
by frame (``x[f N + i]`` is node ``i`` at column ``f``), the centres first, so that the
network's outputs reshape to ``(N, n_columns)`` and the transfer matrix and the mesh Laplacian
apply to them inside the loss. ``test`` is every node at every frame, the centres being all
frames.

The data loss (eq. 5) compares ``forward(û)`` with the observations on every column of the
batch; the EP loss (eq. 9) is the mean square of the problem's residuals at the centres.
DeepXDE's ``auxiliary_vars`` carry the batch's stencil matrix (``(n_columns, n_slices)``; the
full temporal derivative matrix for ``test``), so that a traced TensorFlow step sees each
batch's own.

The class is its own sampler for :class:`~pinn_inverse.training.Trainer`
(``due / resample / state_dict / load_state_dict``): the trainer redraws the centres after
every ``period`` steps from the data's private ``RandomState``, and a checkpoint holds that
stream and the current centres, so that a resumed run trains on the same batches.
"""

import deepxde as dde
import numpy as np

from ...operators import temporal_derivative
from ...validation import as_array, check_int


class Batch:
    """The network's outputs on a batch, by node and column (a view for the residuals).

    Attributes
    ----------
    inputs, outputs : tensor
        Network inputs ``(N n_columns, d + 1)`` (the nodes' d coordinates and t) and outputs
        ``(N n_columns, 2)``.
    u, v : tensor, shape (N, n_columns)
        The outputs by node (rows) and column (frames, the centres first).
    n_centres : int
    stencil : tensor, shape (n_columns, n_centres)
        ``u @ stencil`` is ∂u/∂t at the centres (eqs. 17-18, model time units).
    """

    def __init__(self, inputs, outputs, n_nodes, stencil):
        self.inputs, self.outputs, self.n_nodes, self.stencil = inputs, outputs, n_nodes, stencil
        self.n_centres = int(stencil.shape[1])
        self.u, self.v = self.per_node(outputs[:, 0:1]), self.per_node(outputs[:, 1:2])

    def per_node(self, column):
        """A ``(N n_columns, 1)`` tensor of point values as ``(N, n_columns)``."""
        return dde.backend.transpose(dde.backend.reshape(column, (-1, self.n_nodes)))

    def centres(self, field):
        """The centre columns of a ``(N, n_columns)`` field."""
        return field[:, : self.n_centres]


class MeshTimeData(dde.data.Data):
    """All nodes of a mesh × frames in time, for a network of (x, y, z, t).

    Parameters
    ----------
    nodes : array_like, shape (N, d)
        The network's spatial inputs at the nodes (nondimensional; the positions, d = 3, or
        other coordinates of the nodes).
    times : array_like, shape (F,)
        Frame times, equally spaced (model time units), F ≥ 5.
    observations : array_like, shape (M, F)
        What ``forward`` of the heart potentials should give at each frame.
    forward : callable
        ``forward(u)`` maps heart potentials ``(N, k)`` to ``(M, k)``, e.g. a
        :class:`~pinn_inverse.operators.MatrixOperator` of the transfer matrix.
    pde : callable
        ``pde(batch)`` returns the residual tensors at the centres (a list).
    n_slices : int
        Centre frames per batch.
    seed : int
        Seed of the centre frames' stream.
    period : int
        Training steps between two draws.
    stencil : bool
        Whether batches carry each centre's stencil neighbours (needed by the temporal
        stencils; AD in time needs the centres only).
    input_times : array_like, shape (F,), optional
        The network's time input at each frame (nondimensional); ``times`` by default.
    """

    def __init__(self, nodes, times, observations, forward, pde, n_slices, seed=0, period=1,
                 stencil=True, input_times=None):  # fmt: skip
        nodes = as_array(nodes, "nodes", ndim=2)
        times = as_array(times, "times", ndim=1)
        observations = as_array(observations, "observations", ndim=2)
        n_frames = check_int(len(times), "number of frames", minimum=5)
        steps = np.diff(times)
        if steps.min() <= 0 or not np.allclose(steps, steps[0], rtol=1e-6, atol=0):
            raise ValueError(
                f"frame times must be equally spaced and increasing (the temporal stencils of "
                f"eqs. 17-18 assume a constant τ); got steps from {steps.min():.6g} to "
                f"{steps.max():.6g}"
            )
        if observations.shape[1] != n_frames:
            raise ValueError(
                f"observations have {observations.shape[1]} frames but there are {n_frames} "
                "frame times; give observations of shape (M, n_frames)"
            )
        input_times = times if input_times is None else as_array(input_times, "input_times")
        if input_times.shape != times.shape:
            raise ValueError(f"input_times must have shape {times.shape}, got {input_times.shape}")
        self.n_slices = check_int(n_slices, "n_slices", minimum=1)
        if self.n_slices > n_frames:
            raise ValueError(f"n_slices = {n_slices} exceeds the {n_frames} frames")
        self.period = check_int(period, "period", minimum=1)
        self.forward, self.pde, self.stencil = forward, pde, bool(stencil)
        real = dde.config.real(np)
        self.nodes, self.n_nodes, self.n_frames = nodes.astype(real), len(nodes), n_frames
        self.times, self.input_times = times, input_times.astype(real)
        self.observations = observations.astype(real)
        self.derivative = temporal_derivative(n_frames, float(steps[0])).tocsr()
        self.rng = np.random.RandomState(check_int(seed, "seed", minimum=0))
        self.test_x = self.inputs(np.arange(n_frames))
        self.test_y = self.observations
        self.test_aux = self.derivative.T.toarray().astype(real)
        self.centres = None
        self.resample(self)

    # --- batches ---------------------------------------------------------------------------

    def inputs(self, frames):
        """Network inputs of every node at ``frames``, frame by frame, shape
        ``(N len(frames), d + 1)``."""
        t = np.repeat(self.input_times[frames], self.n_nodes)[:, None]
        return np.hstack([np.tile(self.nodes, (len(frames), 1)), t])

    def columns(self, centres):
        """The batch's frames (centres first, then each centre's stencil neighbours) and its
        stencil matrix ``(n_columns, n_centres)``."""
        if not self.stencil:
            return centres, np.zeros((len(centres), len(centres)))
        rows = self.derivative[centres]
        neighbours = [np.setdiff1d(rows[s].indices, [c]) for s, c in enumerate(centres)]
        frames = np.concatenate([centres, *neighbours])
        position = {}  # column of each (row, frame) pair: the centre's own, else its neighbours'
        for s, c in enumerate(centres):
            position[s, c] = s
            for j, f in enumerate(neighbours[s]):
                position[s, f] = len(centres) + 4 * s + j
        stencil = np.zeros((len(frames), len(centres)))
        for s in range(len(centres)):
            row = rows[s]
            for f, value in zip(row.indices, row.data, strict=True):
                stencil[position[s, f], s] = value
        return frames, stencil

    def set_centres(self, centres):
        """Make the batch of these centre frames the current one."""
        self.centres = np.asarray(centres, dtype=np.int64)
        frames, stencil = self.columns(self.centres)
        real = dde.config.real(np)
        self.train_x = self.inputs(frames)
        self.train_y = self.observations[:, frames]
        self.train_aux = stencil.astype(real)

    def train_next_batch(self, batch_size=None):
        """The current batch (redrawn by :meth:`resample`, which the trainer calls)."""
        return self.train_x, self.train_y, self.train_aux

    def test(self):
        """Every node at every frame, all frames being centres."""
        return self.test_x, self.test_y, self.test_aux

    def losses(self, targets, outputs, loss_fn, inputs, model, aux=None):
        batch = Batch(inputs, outputs, self.n_nodes, model.net.auxiliary_vars)
        mean_square = dde.backend.reduce_mean
        data = mean_square(dde.backend.square(self.forward(batch.u) - targets))  # eq. (5)
        return [data, *[mean_square(dde.backend.square(r)) for r in self.pde(batch)]]  # eq. (9)

    # --- the trainer's sampler protocol ----------------------------------------------------

    def due(self, step):
        """Whether the centres are redrawn after training step ``step`` (counted from 1)."""
        return step % self.period == 0

    def resample(self, data=None):
        """Draw new centre frames from the private stream."""
        self.set_centres(np.sort(self.rng.choice(self.n_frames, self.n_slices, replace=False)))

    def state_dict(self, data=None):
        """The stream's state and the current centres, as numpy arrays."""
        _, keys, pos, has_gauss, cached = self.rng.get_state()
        return {
            "rng_keys": keys,
            "rng_numbers": np.array([pos, has_gauss, cached]),
            "centres": self.centres,
        }

    def load_state_dict(self, data, state):
        """Restore :meth:`state_dict`'s stream and centres."""
        pos, has_gauss, cached = state["rng_numbers"]
        self.rng.set_state(("MT19937", state["rng_keys"], int(pos), int(has_gauss), cached))
        self.set_centres(state["centres"])
