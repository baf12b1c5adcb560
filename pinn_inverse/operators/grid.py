"""Finite differences on a masked pixel image: the EIT paper's "matrix-based method" (Sec. II-C).

The CNN-PINN's second stage needs ∇U and ΔU of a potential image U known only on the pixels of
a disk. Each operator is a sparse ``(n, n)`` matrix acting on the ``n`` pixels inside the mask,
ordered as ``image[mask]`` (row-major); pixels outside the mask are never read. The image
orientation is :class:`~pinn_inverse.eit.image.ImageGrid`'s: row 0 is the top (y = +R) and
columns increase with x, so ∂/∂y runs against the row index.

Stencils, chosen pixel by pixel along each axis from the pixels present in the mask:

- first derivative: central ``(u₊ − u₋) / 2h`` where both neighbours are inside; at the mask's
  edge the one-sided three-point ``(−3u₀ + 4u₁ − u₂) / 2h`` (``numpy.gradient``'s
  ``edge_order=2``); both second order. Only where a line of the mask is two pixels long the
  two-point ``(u₁ − u₀) / h`` (first order) remains.
- second derivative: central ``(u₊ − 2u₀ + u₋) / h²`` (second order); at the edge the one-sided
  four-point ``(2u₀ − 5u₁ + 4u₂ − u₃) / h²`` (second order), or where only three pixels are
  present the three-point ``(u₀ − 2u₁ + u₂) / h²`` (first order).

A pixel with no neighbour inside the mask along an axis has no derivative there: the operators
refuse such a mask. The matrices are scipy's: applied to a numpy image they give numpy arrays,
and :class:`~pinn_inverse.operators.MatrixOperator` applies them to backend tensors inside a
loss. The σ-PINN applies them to the known image U once, before training.
"""

import math

import numpy as np
import scipy.sparse as sp

from ..validation import as_array, check_positive

# candidate offsets along an axis, best first: the central stencil, then one-sided ones
_STENCILS = {
    1: ((-1, 0, 1), (0, 1, 2), (0, -1, -2), (0, 1), (0, -1)),
    2: ((-1, 0, 1), (0, 1, 2, 3), (0, -1, -2, -3), (0, 1, 2), (0, -1, -2)),
}


def stencil_weights(offsets, order):
    """Finite-difference weights of the ``order``-th derivative on integer ``offsets`` (h = 1).

    The weights ``w`` solve the Taylor conditions ``Σ_j w_j s_j^k / k! = δ_{k, order}`` for
    ``k < len(offsets)``, so the stencil is exact on polynomials of degree ``len(offsets) − 1``.
    """
    s = np.asarray(offsets, dtype=float)
    taylor = np.array([s**k / math.factorial(k) for k in range(len(s))])
    return np.linalg.solve(taylor, np.eye(len(s))[order])


def _check_mask(mask):
    mask = as_array(mask, "mask", ndim=2, dtype=None)
    if mask.dtype != bool:
        raise TypeError(f"mask must be a boolean image, got dtype {mask.dtype}")
    if not mask.any():
        raise ValueError("mask has no pixel inside: there is nothing to differentiate")
    return mask


def _shifted(image, offset, axis):
    """``out[i] = image[i + offset]`` along ``axis``, zero (False) beyond the image."""
    out = np.zeros_like(image)
    n = image.shape[axis]
    if abs(offset) >= n:
        return out
    src = [slice(None)] * 2
    dst = [slice(None)] * 2
    src[axis] = slice(max(offset, 0), n + min(offset, 0))
    dst[axis] = slice(max(-offset, 0), n - max(offset, 0))
    out[tuple(dst)] = image[tuple(src)]
    return out


def grid_derivative(mask, spacing, axis, order=1):
    """Sparse matrix of ∂/∂x (``axis="x"``) or ∂/∂y (``axis="y"``), first or second order.

    Parameters
    ----------
    mask : ndarray of bool, shape (G, H)
        Pixels inside the domain.
    spacing : float
        Pixel size h (m, or the unit of the coordinates).
    axis : {"x", "y"}
        x along the columns, y against the rows (row 0 is the top).
    order : {1, 2}
        Derivative order.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n, n)
        ``D`` with ``D @ image[mask]`` the derivative at the mask's pixels (the unit of the
        image over the unit of ``spacing`` to the power ``order``).
    """
    mask = _check_mask(mask)
    h = float(check_positive(spacing, "spacing"))
    if axis not in ("x", "y"):
        raise ValueError(f"unknown axis {axis!r}; accepted: 'x', 'y'")
    if order not in _STENCILS:
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    array_axis, sign = (1, 1.0) if axis == "x" else (0, -1.0)
    index = np.full(mask.shape, -1)
    index[mask] = np.arange(mask.sum())
    todo = mask.copy()
    rows, cols, values = [], [], []
    for offsets in _STENCILS[order]:
        usable = todo.copy()
        for s in offsets:
            usable &= _shifted(mask, s, array_axis)
        if not usable.any():
            continue
        weights = sign**order * stencil_weights(offsets, order) / h**order
        for s, w in zip(offsets, weights, strict=True):
            rows.append(index[usable])
            cols.append(_shifted(index, s, array_axis)[usable] if s else index[usable])
            values.append(np.full(usable.sum(), w))
        todo &= ~usable
    if todo.any():
        raise ValueError(
            f"{int(todo.sum())} pixel(s) of the mask have too few neighbours inside it along "
            f"{axis} for a derivative of order {order} (at least {order + 1} pixels in a "
            "line are needed); use a finer image or a mask without isolated pixels"
        )
    n = int(mask.sum())
    matrix = sp.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    matrix.sum_duplicates()
    return matrix


def grid_gradient(mask, spacing):
    """The gradient (∂/∂x, ∂/∂y) on a masked image, as two sparse ``(n, n)`` matrices.

    See :func:`grid_derivative` for the arguments and the stencils.
    """
    return grid_derivative(mask, spacing, "x"), grid_derivative(mask, spacing, "y")


def grid_laplacian(mask, spacing):
    """The Laplacian ∂²/∂x² + ∂²/∂y² on a masked image, as a sparse ``(n, n)`` matrix.

    See :func:`grid_derivative` for the arguments and the stencils.
    """
    return grid_derivative(mask, spacing, "x", 2) + grid_derivative(mask, spacing, "y", 2)


def mask_boundary(mask):
    """Pixels of the mask with one of their four neighbours outside it (or beyond the image):
    the discrete boundary ∂Ω of the masked domain, a boolean image like ``mask``."""
    mask = _check_mask(mask)
    interior = mask.copy()
    for axis in (0, 1):
        for s in (-1, 1):
            interior &= _shifted(mask, s, axis)
    return mask & ~interior
