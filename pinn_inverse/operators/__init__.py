"""Discrete differential operators shared by the problems, as ``scipy.sparse`` matrices.

- :func:`mesh_laplacian` -- the Laplace-Beltrami operator on a triangle mesh (EAND-ARN eq. 15,
  or the cotangent Laplacian), and :func:`laplacian_eigenfunctions`, its eigenfunctions;
- :func:`temporal_derivative` -- the 4th-order first-derivative stencils in time
  (EAND-ARN eqs. 17-18, boundary rows included);
- :func:`grid_gradient`, :func:`grid_laplacian`, :func:`grid_derivative` -- finite differences
  on a masked pixel image (the EIT paper's matrix-based ∇U and ΔU), :func:`mask_boundary`;
- :class:`MatrixOperator` -- the bridge that applies any of them (or a transfer matrix) to
  backend tensors inside a loss.
"""

from .grid import grid_derivative, grid_gradient, grid_laplacian, mask_boundary
from .mesh_laplacian import laplacian_eigenfunctions, mesh_edges, mesh_laplacian
from .temporal import temporal_derivative

__all__ = [
    "MatrixOperator",
    "grid_derivative",
    "grid_gradient",
    "grid_laplacian",
    "laplacian_eigenfunctions",
    "mask_boundary",
    "mesh_edges",
    "mesh_laplacian",
    "temporal_derivative",
]


def __getattr__(name):
    # MatrixOperator (the bridge to backend tensors) imports DeepXDE and its backend, which
    # the scipy operators above do not need: loaded on first use
    if name == "MatrixOperator":
        from .tensor import MatrixOperator

        return MatrixOperator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
