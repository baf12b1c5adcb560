"""Fixed matrices applied to backend tensors inside a loss, with gradients flowing through.

The mesh Laplacian (EAND-ARN eq. 15), the temporal stencils (eqs. 17-18) and the transfer
matrix ``R`` are fixed: a loss multiplies network outputs by them at every step. A
:class:`MatrixOperator` converts the matrix once, to the active backend's sparse type
(``tf.sparse.SparseTensor`` with ``tf.sparse.sparse_dense_matmul`` on TensorFlow, a
``torch.sparse_coo_tensor`` on PyTorch) or to a dense constant when it is dense, and applies it
by ``op(y) = matrix @ y``. DeepXDE's own ``sparse_dense_matmul`` has no TensorFlow 2 version,
hence this module.
"""

import numpy as np
import scipy.sparse as sp

from ..backend import _is_numpy, backend_name


class MatrixOperator:
    """``y ↦ matrix @ y`` for numpy arrays and backend tensors, built once per problem.

    Parameters
    ----------
    matrix : scipy.sparse matrix or array_like, shape (m, n)
        The fixed matrix (unit: that of the operator it discretises, e.g. 1/m² for a mesh
        Laplacian on vertices in m, 1/time unit for a temporal stencil). A scipy sparse matrix
        stays sparse on the backend; a dense array stays dense.

    Attributes
    ----------
    shape : tuple of int
        ``(m, n)``.
    sparse : bool
        Whether the backend constant is sparse.

    Examples
    --------
    >>> lap = MatrixOperator(mesh_laplacian(vertices, faces))      # doctest: +SKIP
    >>> lap(u)            # u: (n_nodes, k) tensor → (n_nodes, k) tensor   # doctest: +SKIP
    """

    def __init__(self, matrix):
        import deepxde as dde

        self.sparse = sp.issparse(matrix)
        if self.sparse:
            matrix = sp.coo_matrix(matrix)
            matrix.sum_duplicates()
            values = matrix.data
        else:
            try:
                matrix = np.asarray(matrix, dtype=float)
            except (TypeError, ValueError) as err:
                raise TypeError(
                    f"matrix must be a scipy sparse matrix or a numeric array, got "
                    f"{type(matrix).__name__}"
                ) from err
            values = matrix
        if matrix.ndim != 2:
            raise ValueError(f"matrix must be 2-D, got shape {matrix.shape}")
        if not np.all(np.isfinite(values)):
            raise ValueError("matrix contains NaN or infinite entries; all must be finite")
        self.shape = tuple(int(s) for s in matrix.shape)
        self.matrix = matrix.tocsr() if self.sparse else matrix
        self._constant = _backend_constant(matrix, dde.config.real(np))

    def __call__(self, y):
        """``matrix @ y`` for ``y`` of shape ``(n, k)`` (numpy array or backend tensor)."""
        if _is_numpy(y):
            y = np.asarray(y)
            if y.ndim != 2 or y.shape[0] != self.shape[1]:
                raise ValueError(
                    f"y must have shape ({self.shape[1]}, k) for a {self.shape} matrix, got "
                    f"{y.shape}"
                )
            return np.asarray(self.matrix @ y)
        if int(y.shape[0]) != self.shape[1]:
            raise ValueError(
                f"y has {int(y.shape[0])} rows but the matrix has {self.shape[1]} columns"
            )
        return _matmul(self._constant, y, self.sparse)

    @property
    def T(self):  # noqa: N802 (numpy's name)
        """The operator of the transposed matrix."""
        return MatrixOperator(self.matrix.T)


if backend_name() == "tensorflow":
    import tensorflow as tf

    def _backend_constant(matrix, dtype):
        if sp.issparse(matrix):
            indices = np.column_stack([matrix.row, matrix.col]).astype(np.int64)
            sparse = tf.sparse.SparseTensor(indices, matrix.data.astype(dtype), matrix.shape)
            return tf.sparse.reorder(sparse)
        return tf.constant(matrix.astype(dtype))

    def _matmul(constant, y, sparse):
        if sparse:
            return tf.sparse.sparse_dense_matmul(constant, y)
        return tf.matmul(constant, y)

else:
    import torch

    def _backend_constant(matrix, dtype):
        if sp.issparse(matrix):
            indices = torch.as_tensor(np.vstack([matrix.row, matrix.col]).astype(np.int64))
            values = torch.as_tensor(matrix.data.astype(dtype))
            sparse = torch.sparse_coo_tensor(indices, values, matrix.shape, check_invariants=True)
            return sparse.coalesce()
        return torch.as_tensor(matrix.astype(dtype))

    def _matmul(constant, y, sparse):
        if constant.device != y.device:
            constant = constant.to(y.device)
        if sparse:
            return torch.sparse.mm(constant, y)
        return constant @ y
