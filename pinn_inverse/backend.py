"""The one place that looks at DeepXDE's backend.

The backend is chosen the DeepXDE way: the ``DDE_BACKEND`` environment variable (or DeepXDE's
config file), or :func:`set_backend` before the first network is built (the command line's
``--backend`` calls it). ``tensorflow`` (TF2) and ``pytorch`` are supported; any other backend
gets a ``ValueError`` that names them. Problem code never branches on the backend: it calls the
small tensor functions below, which accept numpy arrays as well as backend tensors.
"""

import os
import sys
import warnings

import numpy as np

from .validation import check_choice, check_int

SUPPORTED = ("tensorflow", "pytorch")


def set_backend(name):
    """Select the DeepXDE backend; must be called before DeepXDE is imported.

    Parameters
    ----------
    name : {"tensorflow", "pytorch"}
    """
    check_choice(name, "backend", SUPPORTED)
    if "deepxde" in sys.modules and backend_name() != name:
        raise RuntimeError(
            f"DeepXDE is already imported with the {backend_name()!r} backend; set "
            f"DDE_BACKEND={name} (or call set_backend) before anything imports deepxde"
        )
    os.environ["DDE_BACKEND"] = name


def _check_supported(name):
    if name not in SUPPORTED:
        raise ValueError(
            f"DeepXDE backend {name!r} is not supported by pinn_inverse; supported: "
            f"{', '.join(SUPPORTED)} (set DDE_BACKEND or pass --backend)"
        )
    return name


def check_requested():
    """Refuse an unsupported ``DDE_BACKEND`` before DeepXDE tries to import it (e.g. paddle)."""
    requested = os.environ.get("DDE_BACKEND")
    if requested and "deepxde" not in sys.modules:
        _check_supported(requested)


def backend_name():
    """The active DeepXDE backend, checked against the supported ones."""
    check_requested()
    import deepxde

    return _check_supported(deepxde.backend.backend_name)


def _is_numpy(x):
    return isinstance(x, np.ndarray | np.generic | float | int)


def step(x):
    """Heaviside step H(x) = 1 for x > 0 else 0, for numpy arrays and backend tensors."""
    if _is_numpy(x):
        return (np.asarray(x) > 0).astype(np.asarray(x).dtype)
    if backend_name() == "tensorflow":
        import tensorflow as tf

        return tf.cast(x > 0, x.dtype)
    return (x > 0).to(x.dtype)


def _elementwise(name, x):
    if _is_numpy(x):
        if name == "erf":
            from scipy.special import erf

            return erf(x)
        return getattr(np, name)(x)
    if backend_name() == "tensorflow":
        import tensorflow as tf

        return getattr(tf.math, name)(x)
    import torch

    return getattr(torch, name)(x)


def sqrt(x):
    """Element-wise square root for numpy arrays and backend tensors."""
    return _elementwise("sqrt", x)


def sin(x):
    """Element-wise sine for numpy arrays and backend tensors."""
    return _elementwise("sin", x)


def exp(x):
    """Element-wise exponential for numpy arrays and backend tensors."""
    return _elementwise("exp", x)


def erf(x):
    """Element-wise error function for numpy arrays and backend tensors."""
    return _elementwise("erf", x)


def concat(tensors, axis=1):
    """Concatenate numpy arrays or backend tensors along ``axis``."""
    if all(_is_numpy(t) for t in tensors):
        return np.concatenate(tensors, axis=axis)
    if backend_name() == "tensorflow":
        import tensorflow as tf

        return tf.concat(tensors, axis)
    import torch

    return torch.cat(tensors, dim=axis)


def stop_gradient(x):
    """``x`` as a constant of differentiation (numpy arrays are returned as they are)."""
    if _is_numpy(x):
        return x
    if backend_name() == "tensorflow":
        import tensorflow as tf

        return tf.stop_gradient(x)
    return x.detach()


def assign(variable, value):
    """Set a DeepXDE trainable variable (``dde.Variable``) to a float."""
    if backend_name() == "tensorflow":
        variable.assign(value)
        return
    import torch

    with torch.no_grad():
        variable.fill_(value)


def to_numpy(x):
    """A backend tensor (or a DeepXDE variable) as a numpy array."""
    import deepxde as dde

    return dde.backend.to_numpy(x)


def variable_values(variables):
    """The current values of scalar DeepXDE variables (``dde.Variable``), as a numpy array."""
    return np.array([float(to_numpy(v)) for v in variables])


def as_tensor(x):
    """A numpy array as a tensor of the active backend, in DeepXDE's float precision."""
    import deepxde as dde

    return dde.backend.as_tensor(np.asarray(x, dtype=dde.config.real(np)))


def reduce_mean(x):
    """Mean over all entries of a backend tensor (DeepXDE's ``reduce_mean``)."""
    import deepxde as dde

    return dde.backend.reduce_mean(x)


def apply_operator(operator, field, x):
    """``operator(x, field(x))`` on points ``x`` (numpy, (N, d)), with DeepXDE's ``dde.grad``
    derivatives of the field available inside ``operator``: a PDE residual evaluated on an
    analytic field instead of a network, as numpy arrays (a list if ``operator`` returns one).

    ``field`` maps a backend tensor (N, d) to a tensor (N, K) with backend-neutral functions
    (those of this module, DeepXDE's, the library's physics).
    """
    import deepxde as dde

    def evaluate(x):
        out = operator(x, field(x))
        return list(out) if isinstance(out, list | tuple) else out

    points = np.asarray(x, dtype=dde.config.real(np))
    if backend_name() == "tensorflow":
        import tensorflow as tf

        out = tf.function(evaluate)(tf.constant(points))
    else:
        import torch

        out = evaluate(torch.as_tensor(points).requires_grad_())
    dde.grad.clear()
    if isinstance(out, list):
        return [to_numpy(o) for o in out]
    return to_numpy(out)


def adam(learning_rate):
    """The ``optimizer`` argument of ``dde.Model.compile`` for Adam at ``learning_rate``.

    On TensorFlow a Keras ``Adam`` object that the caller keeps: DeepXDE's TensorFlow
    ``Model.save`` writes the network weights only and its optimizer is local to
    ``compile``, so a checkpoint needs this handle to save Adam's moments. On PyTorch the
    name ``"adam"``: ``Model.save`` writes the optimizer's state itself.
    """
    if backend_name() == "tensorflow":
        import tensorflow as tf

        return tf.keras.optimizers.Adam(learning_rate=learning_rate)
    return "adam"


def optimizer_state(optimizer):
    """The state of an optimizer made by :func:`adam`, as numpy arrays (empty on PyTorch,
    where ``Model.save`` holds it)."""
    if isinstance(optimizer, str):
        return []
    return [np.asarray(v.numpy()) for v in optimizer.variables]


def load_optimizer_state(optimizer, model, arrays):
    """Set the state of an optimizer made by :func:`adam` for ``model`` (a compiled
    ``dde.Model``) from :func:`optimizer_state`'s arrays."""
    if isinstance(optimizer, str) or not arrays:
        return
    # Keras creates the moment slots lazily; build them for the variables, in the order
    # DeepXDE's train step passes them (network, then external variables)
    optimizer.build(model.net.trainable_variables + model.external_trainable_variables)
    if len(optimizer.variables) != len(arrays):
        raise ValueError(
            f"the checkpoint holds {len(arrays)} optimizer arrays, this optimizer has "
            f"{len(optimizer.variables)}; it was written for another network"
        )
    for variable, value in zip(optimizer.variables, arrays, strict=True):
        variable.assign(value)


def network_weights(net):
    """Copies of a DeepXDE network's parameters (and buffers), as numpy arrays, in an order
    :func:`set_network_weights` takes back."""
    if backend_name() == "tensorflow":
        return [np.array(w) for w in net.get_weights()]
    return [v.detach().cpu().numpy().copy() for v in net.state_dict().values()]


def set_network_weights(net, arrays):
    """Set a DeepXDE network's parameters from :func:`network_weights`'s arrays."""
    if backend_name() == "tensorflow":
        net.set_weights(arrays)
        return
    import torch

    names = list(net.state_dict())
    net.load_state_dict({n: torch.as_tensor(a) for n, a in zip(names, arrays, strict=True)})


def set_lbfgs_iterations(maxiter):
    """``dde.optimizers.set_LBFGS_options(maxiter=maxiter)``, honoured on PyTorch too.

    DeepXDE 1.15 computes PyTorch's iterations per optimiser call (``iter_per_step``) once, at
    import, from the default ``maxiter`` of 15000; a smaller ``maxiter`` set later is ignored
    and the first call runs 1000 iterations. Recompute it as DeepXDE's import does.
    """
    import deepxde as dde

    dde.optimizers.set_LBFGS_options(maxiter=maxiter)
    options = dde.optimizers.LBFGS_options
    if backend_name() == "pytorch":
        options["iter_per_step"] = min(1000, maxiter)
        options["fun_per_step"] = options["maxfun"] * options["iter_per_step"] // maxiter


_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


def set_threads(n):
    """Limit this process to ``n`` CPU threads, so that parallel workers do not oversubscribe.

    Sets the thread variables that OpenMP, MKL, OpenBLAS and TensorFlow read when they start,
    and limits the libraries this process has already loaded: BLAS through threadpoolctl
    (when installed), PyTorch and TensorFlow (only when imported; importing them here would
    cost seconds). A sweep's workers call it with ``n=1``.

    Parameters
    ----------
    n : int
        Number of threads, at least 1.
    """
    n = check_int(n, "threads", minimum=1)
    os.environ.update(dict.fromkeys(_THREAD_VARIABLES, str(n)))
    try:
        import threadpoolctl
    except ImportError:
        pass
    else:
        threadpoolctl.threadpool_limits(n)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    if "tensorflow" in sys.modules:
        threading = sys.modules["tensorflow"].config.threading
        try:
            threading.set_intra_op_parallelism_threads(n)
            threading.set_inter_op_parallelism_threads(n)
        except RuntimeError as err:  # TensorFlow's runtime has started: its pools are fixed
            warnings.warn(f"TensorFlow keeps its thread pools: {err}", stacklevel=2)


def top_k(x, k):
    """The ``k`` largest entries of ``x`` (flattened), largest first, for numpy arrays and
    backend tensors; gradients flow to the entries selected."""
    if _is_numpy(x):
        return np.sort(np.ravel(x))[::-1][:k]
    if backend_name() == "tensorflow":
        import tensorflow as tf

        return tf.math.top_k(tf.reshape(x, [-1]), k).values
    import torch

    return torch.topk(x.reshape(-1), k).values


def squared_weights(net):
    """Σ w² over the weight matrices of a DeepXDE network (its biases left out, as Keras' L2
    kernel regulariser does), as a backend scalar that gradients flow through."""
    if backend_name() == "tensorflow":
        import tensorflow as tf

        return tf.add_n([tf.reduce_sum(w**2) for w in net.trainable_variables if w.shape.rank == 2])
    return sum((w**2).sum() for w in net.parameters() if w.ndim == 2)
