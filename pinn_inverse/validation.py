"""The one place where arguments at the public boundary are checked.

Every public function validates its input with these helpers, so that a user always gets a
``ValueError`` or ``TypeError`` that names the argument, says what was wrong and what is
accepted. Nothing is clipped, dropped or reordered silently.
"""

from collections.abc import Iterable

import numpy as np


def as_array(value, name, *, shape=None, ndim=None, dtype=float, finite=True):
    """Convert ``value`` to a numpy array and check its shape and finiteness.

    Parameters
    ----------
    value : array_like
        The user's input.
    name : str
        The argument name used in error messages.
    shape : tuple of (int or None), optional
        Expected shape; ``None`` entries accept any length along that axis.
    ndim : int, optional
        Expected number of dimensions (when ``shape`` is not given).
    dtype : numpy dtype, optional
        Target dtype (default float64).
    finite : bool, optional
        Reject NaN and infinite entries (default True).
    """
    try:
        array = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__}") from err
    if shape is not None:
        expected = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
        if array.ndim != len(shape) or any(
            s is not None and s != a for s, a in zip(shape, array.shape, strict=True)
        ):
            raise ValueError(f"{name} must have shape {expected}, got {array.shape}")
    elif ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {array.shape}")
    if finite and np.issubdtype(array.dtype, np.number) and not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); all must be finite")
    return array


def as_points(value, name, dim=3):
    """An ``(N, dim)`` float array of points; a single point is promoted to ``(1, dim)``."""
    array = as_array(value, name, ndim=None)
    if array.ndim == 1 and array.shape[0] == dim:
        array = array[None, :]
    return as_array(array, name, shape=(None, dim))


def check_positive(value, name):
    """Check that every entry of ``value`` is finite and strictly positive."""
    array = as_array(value, name)
    if np.any(array <= 0):
        raise ValueError(f"{name} must be strictly positive, got {array.tolist()}")
    return array


def check_increasing(value, name):
    """Check that a 1-D sequence is strictly increasing."""
    array = as_array(value, name, ndim=1)
    if array.size > 1 and np.any(np.diff(array) <= 0):
        raise ValueError(f"{name} must be strictly increasing, got {array.tolist()}")
    return array


def check_choice(value, name, choices: Iterable[str]):
    """Check that ``value`` is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; accepted: {', '.join(map(repr, choices))}")
    return value


def check_int(value, name, minimum=None):
    """Check that ``value`` is an integer (not a bool), optionally ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)
