"""A tanh MLP with a residual connection at each hidden layer, as a DeepXDE network.

The EIT paper's σ-network (Sec. II-C, after Wang, Teng and Perdikaris 2021): four hidden layers
of 64 tanh units, "residual connections at each layer". The first layer lifts the input,
``h₁ = tanh(W₁ x + b₁)``; every further hidden layer adds its output to its input,
``h_{k+1} = h_k + tanh(W_k h_k + b_k)``; the output layer is linear. DeepXDE's own ``ResNet``
exists only for ``tensorflow.compat.v1`` (and its blocks are two layers deep), hence this one.
Weights are Glorot-normal and biases zero, drawn from one seeded numpy stream, so both backends
start from the same network.
"""

import deepxde as dde

from ..backend import backend_name
from ..validation import check_int
from .glorot import glorot_weights


def residual_mlp_weights(layer_sizes, seed):
    """The initial weights (fan_in, fan_out) and biases of every layer, as numpy arrays."""
    return glorot_weights(list(zip(layer_sizes[:-1], layer_sizes[1:], strict=True)), seed)


def _check(layer_sizes):
    if len(layer_sizes) < 3:
        raise ValueError(f"layer_sizes needs input, ≥ 1 hidden and output sizes, got {layer_sizes}")
    sizes = [check_int(s, "layer size", minimum=1) for s in layer_sizes]
    hidden = sizes[1:-1]
    if len(set(hidden)) != 1:
        raise ValueError(
            f"the hidden layers of a residual MLP must have one width (each adds its input to "
            f"its output), got {hidden}"
        )
    return sizes


if backend_name() == "tensorflow":
    import tensorflow as tf

    class ResidualMLP(dde.nn.NN):
        def __init__(self, layer_sizes, seed=0):
            super().__init__()
            self.layer_sizes = _check(layer_sizes)
            self.denses = [
                tf.keras.layers.Dense(
                    w.shape[1],
                    kernel_initializer=tf.constant_initializer(w),
                    bias_initializer=tf.constant_initializer(b),
                    dtype=dde.config.real(tf),
                )
                for w, b in residual_mlp_weights(self.layer_sizes, seed)
            ]

        def call(self, inputs, training=False):
            y = inputs
            if self._input_transform is not None:
                y = self._input_transform(y)
            y = tf.tanh(self.denses[0](y))
            for dense in self.denses[1:-1]:
                y = y + tf.tanh(dense(y))
            y = self.denses[-1](y)
            if self._output_transform is not None:
                y = self._output_transform(inputs, y)
            return y

else:
    import torch

    class ResidualMLP(dde.nn.NN):
        def __init__(self, layer_sizes, seed=0):
            super().__init__()
            self.layer_sizes = _check(layer_sizes)
            dtype = dde.config.real(torch)
            self.linears = torch.nn.ModuleList()
            for w, b in residual_mlp_weights(self.layer_sizes, seed):
                linear = torch.nn.Linear(w.shape[0], w.shape[1], dtype=dtype)
                with torch.no_grad():
                    linear.weight.copy_(torch.as_tensor(w.T, dtype=dtype))
                    linear.bias.copy_(torch.as_tensor(b, dtype=dtype))
                self.linears.append(linear)

        def forward(self, inputs):
            y = inputs
            if self._input_transform is not None:
                y = self._input_transform(y)
            y = torch.tanh(self.linears[0](y))
            for linear in self.linears[1:-1]:
                y = y + torch.tanh(linear(y))
            y = self.linears[-1](y)
            if self._output_transform is not None:
                y = self._output_transform(inputs, y)
            return y


ResidualMLP.__doc__ = """Residual tanh MLP for DeepXDE, on the active backend.

Parameters
----------
layer_sizes : list of int
    E.g. ``[2, 64, 64, 64, 64, 1]`` (the EIT paper's σ-network); the hidden layers share one
    width.
seed : int
    Seed of the initial weights (identical on both backends).
"""
