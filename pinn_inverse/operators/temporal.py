"""Fourth-order finite-difference first derivative in time (EAND-ARN eqs. 17-18)."""

import numpy as np
import scipy.sparse as sp

from ..validation import check_int, check_positive

# eq. (17): centred stencil at t-2τ, t-τ, t, t+τ, t+2τ, over 12τ
_CENTRAL = np.array([1.0, -8.0, 0.0, 8.0, -1.0])
# eq. (18): one-sided stencils on the first (and, mirrored, last) five samples, over 12τ
_FIRST = np.array([-25.0, 48.0, -36.0, 16.0, -3.0])
_SECOND = np.array([-3.0, -10.0, 18.0, -6.0, 1.0])


def temporal_derivative(n_times, tau):
    """Sparse matrix ``D`` with ``D @ u ≈ du/dt`` at every sample, 4th-order accurate.

    Interior rows use eq. (17); the rows at ``t = 0, τ`` and ``T − τ, T`` use the one-sided
    stencils of eq. (18), so every row is exact for polynomials up to degree 4.

    Parameters
    ----------
    n_times : int
        Number of equally spaced samples (at least 5).
    tau : float
        Sampling interval (s, or the model's time unit).

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n_times, n_times)
        Apply along time: ``D @ u`` for ``u`` of shape ``(n_times, ...)``, or ``u @ D.T`` for
        ``u`` of shape ``(nodes, n_times)``.
    """
    n = check_int(n_times, "n_times", minimum=5)
    tau = float(check_positive(tau, "tau"))
    rows, cols, vals = [], [], []
    for i in range(2, n - 2):
        rows += [i] * 5
        cols += range(i - 2, i + 3)
        vals += list(_CENTRAL)
    for i, stencil in ((0, _FIRST), (1, _SECOND)):
        rows += [i] * 5 + [n - 1 - i] * 5
        cols += list(range(5)) + list(range(n - 1, n - 6, -1))
        vals += list(stencil) + list(-stencil)
    return sp.csr_matrix((np.array(vals) / (12.0 * tau), (rows, cols)), shape=(n, n))
