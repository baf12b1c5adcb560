"""Classical reconstructions the paper compares with (Table II): NOSER and total variation.

Both work on the elements of a reconstruction mesh (use a different mesh from the one that made
the data, to avoid the inverse crime). Difference imaging linearises at a homogeneous σ₀ and
reconstructs δσ from δV = V − V_ref; absolute imaging first fits the best homogeneous σ₀ to
the data, then updates it (NOSER: one Gauss–Newton step; TV: Gauss–Newton iterations).

Data and Jacobian are scaled by the rms of the reference voltages and σ by σ₀, so the
dimensionless hyper-parameters ``hp`` and ``alpha`` carry over between setups (unit disk,
KTC tank). Their defaults were set once on seeded validation phantoms of
:func:`~pinn_inverse.eit.phantoms.random_phantom` (``benchmarks/eit_baselines.py
--calibrate``), never on a test phantom or on the KTC data.
"""

import numpy as np
import scipy.sparse as sp

from ..validation import as_array, check_positive
from .fem import ForwardModel


def noser_step(J, dV, p=0.5, hp=0.01):
    """One regularised Gauss–Newton step with the NOSER prior diag(JᵀJ)^p.

    Solves min ‖J δσ − δV‖² + λ δσᵀ diag(JᵀJ)^p δσ in its data-space form
    δσ = W⁻¹Jᵀ (J W⁻¹ Jᵀ + λ I)⁻¹ δV, W = diag(JᵀJ)^p (Cheney et al. 1990), with
    λ = hp · trace(J W⁻¹ Jᵀ) / n_meas, so that ``hp`` is dimensionless.

    Parameters
    ----------
    J : ndarray, shape (n_meas, M)
        Jacobian ∂V/∂σ.
    dV : ndarray, shape (n_meas,)
        Voltage change.
    p : float
        Exponent of the prior (the paper's baseline: 0.5).
    hp : float
        Relative regularisation strength.

    Returns
    -------
    ndarray, shape (M,)
        The conductivity update δσ.
    """
    J = as_array(J, "J", ndim=2)
    dV = as_array(dV, "dV", shape=(J.shape[0],))
    hp = float(check_positive(hp, "hp"))
    w_inv = 1.0 / np.maximum(np.einsum("ij,ij->j", J, J), np.finfo(float).tiny) ** p
    JW = J * w_inv
    A = JW @ J.T
    lam = hp * np.trace(A) / len(dV)
    return JW.T @ np.linalg.solve(A + lam * np.eye(len(dV)), dV)


def edge_differences(mesh):
    """Jump operator across interior edges, weighted by edge length / radius: sparse (E, M).

    Row e of D holds ±ℓ_e / R for the two triangles that share edge e, so ‖D σ‖₁ is the total
    variation of a piecewise-constant σ (in units of σ, length made dimensionless by R).
    """
    tri = mesh.triangles
    edges = np.sort(tri[:, [[0, 1], [1, 2], [2, 0]]].reshape(-1, 2), axis=1)
    owner = np.repeat(np.arange(len(tri)), 3)
    order = np.lexsort(edges.T[::-1])
    edges, owner = edges[order], owner[order]
    shared = np.flatnonzero(np.all(edges[1:] == edges[:-1], axis=1))
    length = np.linalg.norm(mesh.nodes[edges[shared, 0]] - mesh.nodes[edges[shared, 1]], axis=1)
    rows = np.repeat(np.arange(len(shared)), 2)
    cols = np.column_stack([owner[shared], owner[shared + 1]]).ravel()
    vals = (np.outer(length / mesh.radius, [1.0, -1.0])).ravel()
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(shared), len(tri)))


def tv_pdipm(J, b, D, alpha, x0=None, beta=1e-4, iterations=30):
    """Linear TV problem min ½‖Jx − b‖² + α Σ_i |D_i x| by the primal–dual interior point method.

    Borsic, Graham, Adler and Lionheart (IEEE TMI 2010), with a smoothing β that is reduced
    as the iterations go; the dual variable y stays in [−1, 1] by the scaling step rule.

    Parameters
    ----------
    J : ndarray, shape (n_meas, M)
    b : ndarray, shape (n_meas,)
    D : sparse matrix, shape (E, M)
        Jump operator (see :func:`edge_differences`).
    alpha : float
        TV weight.
    x0 : ndarray, shape (M,), optional
        Starting point (default 0).
    beta : float
        Final smoothing of |·|.
    iterations : int
        Primal–dual iterations.
    """
    JtJ, Jtb = J.T @ J, J.T @ b
    x = np.zeros(J.shape[1]) if x0 is None else x0.copy()
    y = np.zeros(D.shape[0])
    for k in range(iterations):
        smooth = max(beta, 1e-1 * 0.5**k)
        Dx = D @ x
        eta = np.sqrt(Dx**2 + smooth)
        kappa = 1 - y * Dx / eta
        H = JtJ + alpha * (D.T @ sp.diags(kappa / eta) @ D).toarray()
        dx = np.linalg.solve(H, -(JtJ @ x - Jtb + alpha * D.T @ y))
        dy = -y + (Dx + kappa * (D @ dx)) / eta
        x = x + dx
        # largest step that keeps |y| <= 1
        with np.errstate(divide="ignore", invalid="ignore"):
            limits = np.where(dy > 0, (1 - y) / dy, np.where(dy < 0, (-1 - y) / dy, np.inf))
        y = np.clip(y + min(1.0, 0.99 * limits.min()) * dy, -1, 1)
    return x


class Reconstructor:
    """NOSER and TV reconstructions on a reconstruction mesh with fixed patterns.

    Parameters
    ----------
    model : ForwardModel
        Forward model on the reconstruction mesh (electrodes and contact impedances).
    currents : array_like, shape (L, P)
        Current patterns of the data (A).
    measurements : array_like, shape (L, Q)
        Measurement patterns of the data.
    """

    def __init__(self, model: ForwardModel, currents, measurements):
        self.model = model
        self.currents = model.check_currents(currents)
        self.measurements = model.check_measurements(measurements)
        self.n_meas = self.currents.shape[1] * self.measurements.shape[1]
        self._D = None

    @property
    def D(self):
        if self._D is None:
            self._D = edge_differences(self.model.mesh)
        return self._D

    def _data(self, v, name):
        v = as_array(v, name, ndim=None)
        if v.shape != (self.n_meas,):
            raise ValueError(
                f"{name} must hold one voltage per measurement, shape ({self.n_meas},) = "
                f"{self.currents.shape[1]} current patterns × {self.measurements.shape[1]} "
                f"measurement patterns, pattern by pattern; got shape {v.shape}"
            )
        return v

    def _scaled(self, sigma0, v_scale):
        V, J = self.model.forward(sigma0, self.currents, self.measurements, jacobian=True)
        return V, J * sigma0 / v_scale

    def fit_homogeneous(self, v, iterations=8):
        """Best homogeneous conductivity σ₀ (S/m) for voltages ``v``: Gauss–Newton on log σ₀."""
        v = self._data(v, "v")
        sigma0, eps = 1.0, 1e-6
        for _ in range(iterations):
            V = self.model.forward(sigma0, self.currents, self.measurements)
            # dV / d log σ₀ by a forward difference: two solves instead of a full Jacobian
            g = self.model.forward(sigma0 * np.exp(eps), self.currents, self.measurements) - V
            g /= eps
            sigma0 *= np.exp(np.clip(g @ (v - V) / (g @ g), -2, 2))
        return sigma0

    def noser_difference(self, v_ref, v, sigma0=1.0, p=0.5, hp=0.01):
        """Difference NOSER: δσ (S/m) per element from δV = v − v_ref, linearised at σ₀."""
        v_ref, v = self._data(v_ref, "v_ref"), self._data(v, "v")
        scale = np.sqrt(np.mean(v_ref**2))
        _, J = self._scaled(float(check_positive(sigma0, "sigma0")), scale)
        return sigma0 * noser_step(J, (v - v_ref) / scale, p=p, hp=hp)

    def noser_absolute(self, v, p=0.5, hp=0.01):
        """Absolute NOSER: σ (S/m) per element, one step from the best homogeneous fit."""
        v = self._data(v, "v")
        sigma0 = self.fit_homogeneous(v)
        scale = np.sqrt(np.mean(v**2))
        V, J = self._scaled(sigma0, scale)
        return sigma0 * (1 + noser_step(J, (v - V) / scale, p=p, hp=hp))

    def tv_difference(self, v_ref, v, sigma0=1.0, alpha=1.2e-7, iterations=20):
        """Difference TV (PD-IPM): δσ (S/m) per element from δV = v − v_ref.

        ``alpha`` weighs TV against the *mean* squared misfit per measurement, so that it
        carries over between protocols with different numbers of measurements.
        """
        v_ref, v = self._data(v_ref, "v_ref"), self._data(v, "v")
        scale = np.sqrt(np.mean(v_ref**2))
        _, J = self._scaled(float(check_positive(sigma0, "sigma0")), scale)
        b = (v - v_ref) / scale
        return sigma0 * tv_pdipm(J, b, self.D, alpha * self.n_meas, iterations=iterations)

    def tv_absolute(self, v, alpha=1.2e-7, outer=4, iterations=10):
        """Absolute TV: σ (S/m) per element by Gauss–Newton with a PD-IPM inner solve.

        Each outer step linearises at the current σ, solves the TV-regularised linear problem
        for the relative update, and backtracks until the data misfit drops and σ stays
        positive. ``alpha`` is per measurement, as in :meth:`tv_difference`.
        """
        v = self._data(v, "v")
        alpha = alpha * self.n_meas
        sigma0 = self.fit_homogeneous(v)
        scale = np.sqrt(np.mean(v**2))
        x = np.ones(self.model.n_elements)  # σ / σ₀

        def objective(x):
            r = (self.model.forward(sigma0 * x, self.currents, self.measurements) - v) / scale
            return 0.5 * r @ r + alpha * np.abs(self.D @ x).sum()

        current = objective(x)
        for _ in range(outer):
            V, J = self.model.forward(sigma0 * x, self.currents, self.measurements, jacobian=True)
            J = J * sigma0 / scale
            b = (v - V) / scale + J @ x
            proposal = tv_pdipm(J, b, self.D, alpha, x0=x, iterations=iterations)
            step = 1.0
            while step > 1e-3:
                trial = x + step * (proposal - x)
                value = objective(trial) if np.all(trial > 0) else np.inf
                if value < current:
                    x, current = trial, value
                    break
                step /= 2
            else:
                break
        return sigma0 * x
