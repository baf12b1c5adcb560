"""SIREN: a sine-activated network (Sitzmann et al. 2020), as a DeepXDE network.

Layer 1 computes sin(ω₀ (W x + b)) with W ~ U(−1/n, 1/n); every hidden layer computes
sin(W x + b) with W ~ U(−√(6/n), √(6/n)), which keeps the pre-activations unit-variance at any
depth (ED-PINN eq. 3 and Appendix A: ω₀ = 30 in the first layer, 1 after). The output layer is
linear. Biases are U(−1/√n, 1/√n). n is the layer's fan-in.
"""

import math

import deepxde as dde
import numpy as np

from ..backend import backend_name
from ..validation import check_int, check_positive


def _uniform(rng, bound, shape):
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


def siren_weights(layer_sizes, omega0, seed):
    """The SIREN initial weights and biases as numpy arrays, shape (fan_in, fan_out)."""
    rng = np.random.default_rng(seed)
    params = []
    for i, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:], strict=False)):
        bound = 1.0 / n_in if i == 0 else math.sqrt(6.0 / n_in)
        params.append(
            (_uniform(rng, bound, (n_in, n_out)), _uniform(rng, 1 / math.sqrt(n_in), n_out))
        )
    return params


def _check(layer_sizes, omega0):
    if len(layer_sizes) < 3:
        raise ValueError(f"layer_sizes needs input, ≥ 1 hidden and output sizes, got {layer_sizes}")
    for size in layer_sizes:
        check_int(size, "layer size", minimum=1)
    return [int(s) for s in layer_sizes], float(check_positive(omega0, "omega0"))


if backend_name() == "tensorflow":
    import tensorflow as tf

    class SIREN(dde.nn.NN):
        def __init__(self, layer_sizes, omega0=30.0, seed=0):
            super().__init__()
            layer_sizes, self.omega0 = _check(layer_sizes, omega0)
            self.layer_sizes = layer_sizes
            self.denses = []
            for w, b in siren_weights(layer_sizes, self.omega0, seed):
                self.denses.append(
                    tf.keras.layers.Dense(
                        w.shape[1],
                        kernel_initializer=tf.constant_initializer(w),
                        bias_initializer=tf.constant_initializer(b),
                        dtype=dde.config.real(tf),
                    )
                )

        def call(self, inputs, training=False):
            y = inputs
            if self._input_transform is not None:
                y = self._input_transform(y)
            y = tf.sin(self.omega0 * self.denses[0](y))
            for dense in self.denses[1:-1]:
                y = tf.sin(dense(y))
            y = self.denses[-1](y)
            if self._output_transform is not None:
                y = self._output_transform(inputs, y)
            return y

else:
    import torch

    class SIREN(dde.nn.NN):
        def __init__(self, layer_sizes, omega0=30.0, seed=0):
            super().__init__()
            layer_sizes, self.omega0 = _check(layer_sizes, omega0)
            self.layer_sizes = layer_sizes
            dtype = dde.config.real(torch)
            self.linears = torch.nn.ModuleList()
            for w, b in siren_weights(layer_sizes, self.omega0, seed):
                linear = torch.nn.Linear(w.shape[0], w.shape[1], dtype=dtype)
                with torch.no_grad():
                    linear.weight.copy_(torch.as_tensor(w.T, dtype=dtype))
                    linear.bias.copy_(torch.as_tensor(b, dtype=dtype))
                self.linears.append(linear)

        def forward(self, inputs):
            y = inputs
            if self._input_transform is not None:
                y = self._input_transform(y)
            y = torch.sin(self.omega0 * self.linears[0](y))
            for linear in self.linears[1:-1]:
                y = torch.sin(linear(y))
            y = self.linears[-1](y)
            if self._output_transform is not None:
                y = self._output_transform(inputs, y)
            return y


SIREN.__doc__ = """SIREN network for DeepXDE, on the active backend.

Parameters
----------
layer_sizes : list of int
    E.g. ``[3, 128, 128, 128, 128, 1]`` (the paper's 3 → 4×128 → 1).
omega0 : float
    Frequency of the first layer, in units of the (nondimensional) input.
seed : int
    Seed of the initial weights (identical on both backends).
"""
