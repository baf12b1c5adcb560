"""The adaptive residual network of EAND-ARN (Zhu, Bilchick & Xie, eq. 11 and Table I).

An adaptive residual block (Adap-ResBlock) maps x to

    h₁ = tanh(W₁ x + b₁),  h₂ = tanh(W₂ h₁ + b₂),  x ← (1 − α) h₂ + α x,   α = sigmoid(α_T)

with one trainable scalar α_T per block (eq. 11). The paper's layout (Sec. IV-B-2): one tanh
layer at the beginning, then the blocks with one tanh layer after each (between two blocks
and at the end), so ``blocks`` blocks make ``3 blocks + 1`` hidden layers of ``width``
neurons, each counted (the two of a block too), followed by a linear output layer. Table I's
NN2, NN4 and NN6 are 1, 2 and 3 blocks (4, 7 and 10 layers) of 15 neurons; NN1, NN3, NN5
the feed-forward nets of the same depth (``dde.nn.FNN``, see :func:`build_net`).

The paper does not give the initial α_T; here it is 0 (α = ½: half the block's input is
passed on). Weights are Glorot-normal and biases zero, drawn with numpy from ``seed``, so
both backends start from the same network; :func:`build_net` draws the feed-forward nets'
the same way (DeepXDE's TensorFlow initialisers are unseeded Keras 3 objects that give the
same weights whatever ``dde.config.set_random_seed`` says).
"""

from dataclasses import dataclass

import deepxde as dde
import numpy as np

from ..backend import backend_name
from ..validation import check_int
from .glorot import glorot_weights


@dataclass(frozen=True)
class NetConfig:
    """A network of :data:`TABLE_I`: ``layers`` hidden layers of ``neurons``, of which
    ``2 blocks`` are inside adaptive residual blocks (0 blocks: a feed-forward net)."""

    layers: int
    neurons: int
    blocks: int = 0

    def __post_init__(self):
        check_int(self.layers, "layers", minimum=1)
        check_int(self.neurons, "neurons", minimum=1)
        check_int(self.blocks, "blocks", minimum=0)
        if self.blocks and self.layers != 3 * self.blocks + 1:
            raise ValueError(
                f"{self.blocks} adaptive blocks take 3 × {self.blocks} + 1 = "
                f"{3 * self.blocks + 1} layers (a layer before, two per block, one after "
                f"each), got layers={self.layers}"
            )


# Table I of the paper: 15 neurons per layer; NN2/4/6 with 1/2/3 Adap-ResBlocks
TABLE_I = {
    "NN1": NetConfig(4, 15, 0),
    "NN2": NetConfig(4, 15, 1),
    "NN3": NetConfig(7, 15, 0),
    "NN4": NetConfig(7, 15, 2),
    "NN5": NetConfig(10, 15, 0),
    "NN6": NetConfig(10, 15, 3),
}


def build_net(config, input_size, output_size, seed=0):
    """The network of a :class:`NetConfig` (or a :data:`TABLE_I` name).

    Parameters
    ----------
    config : NetConfig or str
        E.g. ``"NN6"`` or ``NetConfig(layers=10, neurons=10)`` (the paper's EP-DL net).
    input_size, output_size : int
    seed : int
        Seed of the initial weights (Glorot normal, zero biases; the same on both backends).
    """
    if isinstance(config, str):
        if config not in TABLE_I:
            raise ValueError(f"unknown net {config!r}; accepted: {', '.join(TABLE_I)}")
        config = TABLE_I[config]
    if not isinstance(config, NetConfig):
        raise TypeError(f"net must be a Table I name or a NetConfig, got {type(config).__name__}")
    if config.blocks == 0:
        sizes = [input_size, *[config.neurons] * config.layers, output_size]
        net = dde.nn.FNN(sizes, "tanh", "Glorot normal")
        _set_fnn_weights(net, glorot_weights(list(zip(sizes[:-1], sizes[1:], strict=True)), seed))
        return net
    return AdaptiveResNet(input_size, output_size, config.neurons, config.blocks, seed=seed)


def adaptive_resnet_weights(input_size, output_size, width, blocks, seed):
    """The initial (W, b) of every dense layer, in order: first, per block (W₁, W₂, after),
    output; W of shape (fan_in, fan_out), Glorot normal, b zero."""
    shapes = [(input_size, width), *[(width, width)] * (3 * blocks), (width, output_size)]
    return glorot_weights(shapes, seed)


def _check(input_size, output_size, width, blocks, alpha0):
    return (
        check_int(input_size, "input_size", minimum=1),
        check_int(output_size, "output_size", minimum=1),
        check_int(width, "width", minimum=1),
        check_int(blocks, "blocks", minimum=1),
        float(alpha0),
    )


if backend_name() == "tensorflow":
    import tensorflow as tf

    def _set_fnn_weights(net, params):
        net(np.zeros((1, params[0][0].shape[0]), dtype=dde.config.real(np)))  # builds Keras'
        for dense, (w, b) in zip(net.denses, params, strict=True):
            dense.kernel.assign(w)
            dense.bias.assign(b)

    class AdaptiveResNet(dde.nn.NN):
        def __init__(self, input_size, output_size, width, blocks, seed=0, alpha0=0.0):
            super().__init__()
            sizes = _check(input_size, output_size, width, blocks, alpha0)
            self.input_size, self.output_size, self.width, self.blocks, alpha0 = sizes
            dtype = dde.config.real(tf)
            self.denses = [
                tf.keras.layers.Dense(
                    w.shape[1],
                    kernel_initializer=tf.constant_initializer(w),
                    bias_initializer=tf.constant_initializer(b),
                    dtype=dtype,
                )
                for w, b in adaptive_resnet_weights(*sizes[:4], seed)
            ]
            self.alpha_t = self.add_weight(
                name="alpha_t",
                shape=(self.blocks,),
                initializer=tf.constant_initializer(alpha0),
                dtype=dtype,
                trainable=True,
            )

        @property
        def alphas(self):
            """α of each block, sigmoid(α_T), as numpy floats."""
            return tf.sigmoid(self.alpha_t).numpy().astype(float)

        def call(self, inputs, training=False):
            x = inputs
            if self._input_transform is not None:
                x = self._input_transform(x)
            x = tf.tanh(self.denses[0](x))
            for k in range(self.blocks):
                first, second, after = self.denses[1 + 3 * k : 4 + 3 * k]
                h = tf.tanh(second(tf.tanh(first(x))))
                alpha = tf.sigmoid(self.alpha_t[k])
                x = tf.tanh(after((1.0 - alpha) * h + alpha * x))  # eq. (11), then a layer
            y = self.denses[-1](x)
            if self._output_transform is not None:
                y = self._output_transform(inputs, y)
            return y

else:
    import torch

    def _set_fnn_weights(net, params):
        with torch.no_grad():
            for linear, (w, b) in zip(net.linears, params, strict=True):
                linear.weight.copy_(torch.as_tensor(w.T))
                linear.bias.copy_(torch.as_tensor(b))

    class AdaptiveResNet(dde.nn.NN):
        def __init__(self, input_size, output_size, width, blocks, seed=0, alpha0=0.0):
            super().__init__()
            sizes = _check(input_size, output_size, width, blocks, alpha0)
            self.input_size, self.output_size, self.width, self.blocks, alpha0 = sizes
            dtype = dde.config.real(torch)
            self.linears = torch.nn.ModuleList()
            for w, b in adaptive_resnet_weights(*sizes[:4], seed):
                linear = torch.nn.Linear(w.shape[0], w.shape[1], dtype=dtype)
                with torch.no_grad():
                    linear.weight.copy_(torch.as_tensor(w.T, dtype=dtype))
                    linear.bias.copy_(torch.as_tensor(b, dtype=dtype))
                self.linears.append(linear)
            self.alpha_t = torch.nn.Parameter(torch.full((self.blocks,), alpha0, dtype=dtype))

        @property
        def alphas(self):
            """α of each block, sigmoid(α_T), as numpy floats."""
            return torch.sigmoid(self.alpha_t).detach().cpu().numpy().astype(float)

        def forward(self, inputs):
            x = inputs
            if self._input_transform is not None:
                x = self._input_transform(x)
            x = torch.tanh(self.linears[0](x))
            for k in range(self.blocks):
                first, second, after = self.linears[1 + 3 * k : 4 + 3 * k]
                h = torch.tanh(second(torch.tanh(first(x))))
                alpha = torch.sigmoid(self.alpha_t[k])
                x = torch.tanh(after((1.0 - alpha) * h + alpha * x))  # eq. (11), then a layer
            y = self.linears[-1](x)
            if self._output_transform is not None:
                y = self._output_transform(inputs, y)
            return y


AdaptiveResNet.__doc__ = """Adaptive residual network (EAND-ARN eq. 11) for DeepXDE, on the
active backend: a tanh layer, then ``blocks`` × (Adap-ResBlock of two tanh layers, one tanh
layer), then a linear output layer (``3 blocks + 1`` hidden layers of ``width``).

Parameters
----------
input_size, output_size : int
    E.g. 4 (x, y, z, t) and 2 (u, v).
width : int
    Neurons per hidden layer (15 in Table I).
blocks : int
    Number of adaptive residual blocks, at least 1 (3 in NN6).
seed : int
    Seed of the initial weights (identical on both backends).
alpha0 : float
    Initial trainable α_T of every block (α = sigmoid(α_T); 0 gives α = ½).
"""
