"""U-Net from boundary voltages to a potential image (EIT CNN + PINN, Sec. II-B, Fig. 2).

A fully connected layer lifts the L boundary voltages ΔV to a first G × G image; a U-Net of
CBR blocks (each two 3 × 3 convolutions, each followed by batch normalisation and a ReLU)
refines it: ``depth`` levels down (CBR, 2 × 2 max-pooling), a CBR at the bottom, ``depth``
levels up (2 × 2 transposed convolution, concatenation with the skip connection of that
level, CBR), and a 1 × 1 convolution to one channel. The image is flattened row by row and
multiplied by the disk mask, so that pixels outside the disk are exactly 0.

Batch normalisation normalises by the batch's statistics in training mode and by moving
statistics (moving ← m · moving + (1 − m) · batch, biased variances) in inference mode.
DeepXDE also evaluates the training loss in training mode (``Model._test``, at every display
step and at the start of every ``Model.train``), which would move the statistics more than
once per step: :meth:`UNet.update_statistics` with ``"next"`` lets only the next pass in
training mode move them (the supervised training loop arms it after every step).
"""

import math

import deepxde as dde
import numpy as np

from ..backend import backend_name
from ..validation import as_array, check_choice, check_int

MODES = ("every", "next")


def unet_layout(n_inputs, image_size, base_channels, depth):
    """The layers in order: ``("dense", n_in, n_out)``, ``("cbr", c_in, c_out)``,
    ``("up", c_in, c_out)`` (2 × 2 transposed convolution), ``("head", c_in, 1)``."""
    layers = [("dense", n_inputs, image_size**2)]
    channels = [base_channels * 2**level for level in range(depth + 1)]
    c_in = 1
    for c in channels[:-1]:
        layers.append(("cbr", c_in, c))
        c_in = c
    layers.append(("cbr", c_in, channels[-1]))
    for level in reversed(range(depth)):
        layers.append(("up", channels[level + 1], channels[level]))
        layers.append(("cbr", 2 * channels[level], channels[level]))
    layers.append(("head", channels[0], 1))
    return layers


def unet_weights(layout, seed):
    """Initial weights as numpy arrays (float32), the same on every backend: He-normal
    kernels (ReLU nets), Glorot-uniform lift, zero biases; BN scales 1, shifts 0.

    Kernels are (kh, kw, in, out) for convolutions and (kh, kw, out, in) for transposed
    convolutions (the TensorFlow layouts); dense kernels (in, out).
    """
    rng = np.random.default_rng(seed)

    def he(shape, fan_in):
        return (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(np.float32)

    params = []
    for kind, c_in, c_out in layout:
        if kind == "dense":
            bound = math.sqrt(6.0 / (c_in + c_out))
            kernel = rng.uniform(-bound, bound, (c_in, c_out)).astype(np.float32)
            params.append({"kernel": kernel, "bias": np.zeros(c_out, np.float32)})
        elif kind == "cbr":
            params.append(
                {
                    "kernel1": he((3, 3, c_in, c_out), 9 * c_in),
                    "kernel2": he((3, 3, c_out, c_out), 9 * c_out),
                }
            )
        elif kind == "up":
            params.append({"kernel": he((2, 2, c_out, c_in), 4 * c_in)})
        else:
            params.append({"kernel": he((1, 1, c_in, c_out), c_in)})
            params[-1]["bias"] = np.zeros(c_out, np.float32)
    return params


def _check(n_inputs, image_size, base_channels, depth, mask, momentum):
    n_inputs = check_int(n_inputs, "n_inputs", minimum=1)
    image_size = check_int(image_size, "image_size", minimum=2)
    base_channels = check_int(base_channels, "base_channels", minimum=1)
    depth = check_int(depth, "depth", minimum=1)
    if image_size % 2**depth:
        raise ValueError(
            f"image_size {image_size} must be divisible by 2**depth = {2**depth} (each of the "
            f"{depth} levels halves it); choose another depth or image size"
        )
    if mask is None:
        mask = np.ones((image_size, image_size), bool)
    mask = as_array(mask, "mask", shape=(image_size, image_size), dtype=bool)
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    return n_inputs, image_size, base_channels, depth, mask, float(momentum)


def _check_state(mine, state):
    if set(mine) != set(state) or any(mine[k].shape != np.shape(state[k]) for k in mine):
        raise ValueError(
            f"the state holds {len(state)} arrays that do not match this U-Net's {len(mine)} "
            f"(names or shapes differ); it was saved from another architecture or backend"
        )


EPSILON = 1e-5  # added to the batch-normalisation variances

if backend_name() == "tensorflow":
    import tensorflow as tf

    def _conv(kernel, stride=1, transpose=False, bias=None):
        layer = tf.keras.layers.Conv2DTranspose if transpose else tf.keras.layers.Conv2D
        return layer(
            kernel.shape[2 if transpose else 3],
            kernel.shape[:2],
            strides=stride,
            padding="same",
            use_bias=bias is not None,
            kernel_initializer=tf.constant_initializer(kernel),
            bias_initializer=tf.constant_initializer(0 if bias is None else bias),
            dtype=dde.config.real(tf),
        )

    class _CBR(tf.keras.layers.Layer):
        """Two (3 × 3 convolution, batch normalisation, ReLU)."""

        def __init__(self, params, momentum, name):
            super().__init__(dtype=dde.config.real(tf), name=name)
            self.momentum = momentum
            self.convs = [_conv(params["kernel1"]), _conv(params["kernel2"])]
            c = params["kernel1"].shape[3]
            self.bn = []
            for k in range(2):
                self.bn.append(
                    [
                        self.add_weight(
                            name=f"{name}{k}", shape=(c,), initializer=init, trainable=trainable
                        )
                        for name, init, trainable in (
                            ("gamma", "ones", True),
                            ("beta", "zeros", True),
                            ("moving_mean", "zeros", False),
                            ("moving_var", "ones", False),
                        )
                    ]
                )

        def call(self, x, update, training=False):
            for conv, (gamma, beta, moving_mean, moving_var) in zip(
                self.convs, self.bn, strict=True
            ):
                x = conv(x)
                if training:
                    mean, var = tf.nn.moments(x, axes=[0, 1, 2])
                    rate = (1 - self.momentum) * update
                    moving_mean.assign_add(rate * (mean - moving_mean))
                    moving_var.assign_add(rate * (var - moving_var))
                else:
                    mean, var = moving_mean, moving_var
                x = tf.nn.relu(tf.nn.batch_normalization(x, mean, var, beta, gamma, EPSILON))
            return x

    class UNet(dde.nn.NN):
        def __init__(
            self, n_inputs, image_size, base_channels=16, depth=3, mask=None, momentum=0.9, seed=0
        ):
            super().__init__()
            spec = _check(n_inputs, image_size, base_channels, depth, mask, momentum)
            self.n_inputs, self.image_size, self.base_channels, self.depth = spec[:4]
            self.mask, momentum = spec[4], spec[5]
            layout = unet_layout(*spec[:4])
            params = unet_weights(layout, seed)
            real = dde.config.real(tf)
            self.lift = tf.keras.layers.Dense(
                self.image_size**2,
                kernel_initializer=tf.constant_initializer(params[0]["kernel"]),
                bias_initializer=tf.constant_initializer(params[0]["bias"]),
                dtype=real,
            )
            self.down = [_CBR(p, momentum, f"down{k}") for k, p in enumerate(params[1 : depth + 1])]
            self.bottom = _CBR(params[depth + 1], momentum, "bottom")
            ups = params[depth + 2 : -1]
            self.ups = [_conv(p["kernel"], 2, transpose=True) for p in ups[0::2]]
            self.up_cbr = [_CBR(p, momentum, f"up{k}") for k, p in enumerate(ups[1::2])]
            self.head = _conv(params[-1]["kernel"], bias=params[-1]["bias"])
            self.mask_flat = tf.constant(self.mask.reshape(1, -1), dtype=real)
            self.pending = self.add_weight(
                name="pending", shape=(), initializer="ones", trainable=False
            )
            self.sticky = self.add_weight(
                name="sticky", shape=(), initializer="ones", trainable=False
            )

        def update_statistics(self, mode="next"):
            self.sticky.assign(1.0 if check_choice(mode, "mode", MODES) == "every" else 0.0)
            self.pending.assign(1.0)

        def state(self):
            if not self.built:
                self(np.zeros((1, self.n_inputs), dde.config.real(np)))
            return {f"v{k:04d}": np.array(v.numpy()) for k, v in enumerate(self.weights)}

        def load_state(self, state):
            _check_state(self.state(), state)
            for k, variable in enumerate(self.weights):
                variable.assign(state[f"v{k:04d}"])

        def call(self, inputs, training=False):
            x = inputs
            if self._input_transform is not None:
                x = self._input_transform(x)
            update = tf.convert_to_tensor(self.pending)
            G = self.image_size
            x = tf.reshape(self.lift(x), (-1, G, G, 1))
            skips = []
            for block in self.down:
                x = block(x, update, training=training)
                skips.append(x)
                x = tf.nn.max_pool2d(x, 2, 2, "VALID")
            x = self.bottom(x, update, training=training)
            for up, block, skip in zip(self.ups, self.up_cbr, reversed(skips), strict=True):
                x = block(tf.concat([up(x), skip], axis=-1), update, training=training)
            if training:
                self.pending.assign(update * self.sticky)
            y = tf.reshape(self.head(x), (-1, G * G)) * self.mask_flat
            if self._output_transform is not None:
                y = self._output_transform(inputs, y)
            return y

else:
    import torch
    import torch.nn.functional as F

    def _parameter(array, dtype, layout=None):
        value = torch.as_tensor(array if layout is None else np.transpose(array, layout))
        return torch.nn.Parameter(value.to(dtype).contiguous())

    class _CBR(torch.nn.Module):
        """Two (3 × 3 convolution, batch normalisation, ReLU)."""

        def __init__(self, params, momentum, dtype):
            super().__init__()
            self.momentum = momentum
            # (kh, kw, in, out) → PyTorch's (out, in, kh, kw)
            self.kernels = torch.nn.ParameterList(
                [_parameter(params[k], dtype, (3, 2, 0, 1)) for k in ("kernel1", "kernel2")]
            )
            c = params["kernel1"].shape[3]
            self.gammas = torch.nn.ParameterList(
                [torch.nn.Parameter(torch.ones(c, dtype=dtype)) for _ in range(2)]
            )
            self.betas = torch.nn.ParameterList(
                [torch.nn.Parameter(torch.zeros(c, dtype=dtype)) for _ in range(2)]
            )
            for k in range(2):
                self.register_buffer(f"moving_mean{k}", torch.zeros(c, dtype=dtype))
                self.register_buffer(f"moving_var{k}", torch.ones(c, dtype=dtype))

        def forward(self, x, update):
            for k in range(2):
                x = F.conv2d(x, self.kernels[k], padding=1)
                moving_mean = getattr(self, f"moving_mean{k}")
                moving_var = getattr(self, f"moving_var{k}")
                if self.training:
                    var, mean = torch.var_mean(x, dim=(0, 2, 3), correction=0)
                    with torch.no_grad():
                        rate = (1 - self.momentum) * update
                        moving_mean.add_(rate * (mean - moving_mean))
                        moving_var.add_(rate * (var - moving_var))
                else:
                    mean, var = moving_mean, moving_var
                shape = (1, -1, 1, 1)
                x = (x - mean.view(shape)) * torch.rsqrt(var.view(shape) + EPSILON)
                x = F.relu(x * self.gammas[k].view(shape) + self.betas[k].view(shape))
            return x

    class UNet(dde.nn.NN):
        def __init__(
            self, n_inputs, image_size, base_channels=16, depth=3, mask=None, momentum=0.9, seed=0
        ):
            super().__init__()
            spec = _check(n_inputs, image_size, base_channels, depth, mask, momentum)
            self.n_inputs, self.image_size, self.base_channels, self.depth = spec[:4]
            self.mask, momentum = spec[4], spec[5]
            params = unet_weights(unet_layout(*spec[:4]), seed)
            dtype = dde.config.real(torch)
            self.lift = torch.nn.Linear(self.n_inputs, self.image_size**2, dtype=dtype)
            with torch.no_grad():
                self.lift.weight.copy_(torch.as_tensor(params[0]["kernel"].T))
                self.lift.bias.copy_(torch.as_tensor(params[0]["bias"]))
            self.down = torch.nn.ModuleList(
                [_CBR(p, momentum, dtype) for p in params[1 : depth + 1]]
            )
            self.bottom = _CBR(params[depth + 1], momentum, dtype)
            ups = params[depth + 2 : -1]
            # (kh, kw, out, in) → PyTorch's transposed-convolution (in, out, kh, kw)
            self.ups = torch.nn.ParameterList(
                [_parameter(p["kernel"], dtype, (3, 2, 0, 1)) for p in ups[0::2]]
            )
            self.up_cbr = torch.nn.ModuleList([_CBR(p, momentum, dtype) for p in ups[1::2]])
            self.head = _parameter(params[-1]["kernel"], dtype, (3, 2, 0, 1))
            self.head_bias = _parameter(params[-1]["bias"], dtype)
            self.register_buffer(
                "mask_flat", torch.as_tensor(self.mask.reshape(1, -1), dtype=dtype)
            )
            self.register_buffer("pending", torch.ones((), dtype=dtype))
            self.register_buffer("sticky", torch.ones((), dtype=dtype))

        def update_statistics(self, mode="next"):
            self.sticky.fill_(1.0 if check_choice(mode, "mode", MODES) == "every" else 0.0)
            self.pending.fill_(1.0)

        def state(self):
            return {k: v.detach().cpu().numpy().copy() for k, v in self.state_dict().items()}

        def load_state(self, state):
            _check_state(self.state(), state)
            self.load_state_dict({k: torch.as_tensor(np.asarray(v)) for k, v in state.items()})

        def forward(self, inputs):
            x = inputs
            if self._input_transform is not None:
                x = self._input_transform(x)
            update = self.pending.clone()
            G = self.image_size
            x = self.lift(x).view(-1, 1, G, G)
            skips = []
            for block in self.down:
                x = block(x, update)
                skips.append(x)
                x = F.max_pool2d(x, 2)
            x = self.bottom(x, update)
            for kernel, block, skip in zip(self.ups, self.up_cbr, reversed(skips), strict=True):
                x = block(torch.cat([F.conv_transpose2d(x, kernel, stride=2), skip], 1), update)
            if self.training:
                with torch.no_grad():
                    self.pending.copy_(update * self.sticky)
            y = F.conv2d(x, self.head, self.head_bias).reshape(-1, G * G) * self.mask_flat
            if self._output_transform is not None:
                y = self._output_transform(inputs, y)
            return y


UNet.__doc__ = """U-Net from L boundary voltages to a G × G potential image, for DeepXDE.

Input (batch, ``n_inputs``); output (batch, G²): the image flattened row by row (row 0 the
top, as :class:`~pinn_inverse.eit.image.ImageGrid`), 0 outside ``mask``. The initial weights
depend on ``seed`` only, and are the same on both backends.

Parameters
----------
n_inputs : int
    Number of inputs (the L voltage differences; 16 in the paper).
image_size : int
    Pixels per side G; divisible by 2**depth.
base_channels : int
    Channels of the first level; each level below doubles them.
depth : int
    Number of 2 × 2 poolings (and of transposed convolutions back up).
mask : array_like of bool, shape (G, G), optional
    Pixels of the disk; default all.
momentum : float
    Of the moving batch-normalisation statistics, in [0, 1).
seed : int
    Seed of the initial weights.
"""
UNet.state.__doc__ = """Every variable (weights, batch-normalisation statistics) as numpy arrays by
name, for :meth:`load_state`."""
UNet.load_state.__doc__ = """Set every variable from :meth:`state`'s arrays (same architecture and
backend); a ``ValueError`` otherwise."""
UNet.update_statistics.__doc__ = """Which passes in training mode move the moving statistics.

Parameters
----------
mode : {"every", "next"}
    ``"every"`` (the default at construction, as Keras and PyTorch do): every pass.
    ``"next"``: only the next one (call again to arm the next update).
"""
