"""Regularised inverse solutions: Tikhonov (zero and second order) and STRE.

Tikhonov (EAND-ARN section II):  min_u ‖y − R u‖² + λ² ‖Γ u‖²  per frame, with Γ = I (zero
order) or Γ = the mesh Laplacian (second order). One λ serves all frames; it is chosen by the
L-curve corner or by generalised cross-validation (GCV) on the whole recording.

All λ are cheap after one generalised symmetric eigendecomposition
``Vᵀ (RᵀR + ΓᵀΓ) V = I``, ``Vᵀ ΓᵀΓ V = diag(γ)`` (equivalent to the generalised SVD of
``(R, Γ)``): then ``Vᵀ RᵀR V = diag(1 − γ)``, the solution is
``u(λ) = V diag(1 / (1 − γ + λ² γ)) Vᵀ Rᵀ y`` and the residual, seminorm and GCV trace are
sums over the spectrum.

STRE (Yao & Yang 2016): min_U ‖Y − R U‖² + λ_s² ‖L U‖² + λ_t² Σ_t Σ_{0<|τ−t|≤w} ‖u_t − u_τ‖²
/ 2, the spatial Laplacian plus a temporal-window term that ties each frame to its
neighbours within ``w`` frames. Its normal equations are the Sylvester equation
``(RᵀR + λ_s² LᵀL) U + λ_t² U L_t = Rᵀ Y`` (L_t the Laplacian of the window graph in time),
solved exactly in the eigenbases of both sides instead of as one (nodes × frames)² system.
"""

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from ..validation import as_array, check_choice, check_int

CRITERIA = ("lcurve", "gcv")


@dataclass(frozen=True)
class Reconstruction:
    """A regularised inverse solution.

    Attributes
    ----------
    u : ndarray, shape (n_heart, n_frames)
        Estimated heart-surface potentials (unit of ``y``).
    lam : float or tuple of float
        The regularisation parameter(s) used (λ for Tikhonov, (λ_s, λ_t) for STRE).
    lambdas, residual_norm, solution_norm, gcv : ndarray
        The scanned λ grid with ‖Y − R U‖_F, ‖Γ U‖_F and the GCV function (for figures).
    """

    u: np.ndarray
    lam: object
    lambdas: np.ndarray
    residual_norm: np.ndarray
    solution_norm: np.ndarray
    gcv: np.ndarray


def _check(R, y):
    R = as_array(R, "R", ndim=2)
    y = as_array(y, "y")
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != R.shape[0]:
        raise ValueError(
            f"y has shape {y.shape} but R has {R.shape[0]} torso rows; y must be "
            f"({R.shape[0]}, n_frames)"
        )
    return R, y


def _regulariser(R, order, laplacian):
    check_choice(order, "order", (0, 2))
    n = R.shape[1]
    if order == 0:
        return np.eye(n)
    if laplacian is None:
        raise ValueError("second-order Tikhonov needs laplacian (e.g. ecg mesh_laplacian)")
    gamma = laplacian.toarray() if hasattr(laplacian, "toarray") else np.asarray(laplacian)
    return as_array(gamma, "laplacian", shape=(n, n))


def _spectral(R, gamma):
    """γ, V and the scale c with Γ/c of the same size as R (keeps the pencil well scaled).

    In the scaled pencil the parameter is λ' = λ c.
    """
    rtr, gtg = R.T @ R, gamma.T @ gamma
    scale = np.sqrt(np.trace(gtg) / np.trace(rtr))
    g, V = scipy.linalg.eigh(gtg / scale**2, rtr + gtg / scale**2)
    return np.clip(g, 0.0, 1.0), V, scale


def corner(lambdas, residual_norm, solution_norm):
    """The L-curve corner: the λ of largest curvature of (log ‖r‖, log ‖Γu‖)."""
    t = np.log(lambdas)
    x, y = np.log(residual_norm), np.log(solution_norm)
    dx, dy = np.gradient(x, t), np.gradient(y, t)
    ddx, ddy = np.gradient(dx, t), np.gradient(dy, t)
    kappa = (dx * ddy - ddx * dy) / (dx**2 + dy**2) ** 1.5
    return int(np.argmax(kappa[2:-2]) + 2)


class TikhonovPath:
    """Every Tikhonov solution of one data set along a λ grid, from one decomposition.

    Build it once and :meth:`select` λ by several criteria without decomposing again.

    Parameters
    ----------
    R : array_like, shape (n_torso, n_heart)
        Transfer matrix.
    y : array_like, shape (n_torso, n_frames)
        Body-surface potentials.
    order : {0, 2}
        Γ = I (0) or Γ = ``laplacian`` (2).
    laplacian : array_like or sparse, shape (n_heart, n_heart)
        The heart-surface Laplacian (1/m²), needed for order 2.
    lambdas : array_like, optional
        The λ grid scanned (default: 200 values log-spaced over the generalised singular
        values, widened ten-fold at both ends).

    Attributes
    ----------
    lambdas, residual_norm, solution_norm, gcv : ndarray
        The grid with ‖Y − R U‖_F, ‖Γ U‖_F and the GCV function summed over frames.
    """

    def __init__(self, R, y, order=0, laplacian=None, lambdas=None):
        R, y = _check(R, y)
        gamma = _regulariser(R, order, laplacian)
        g, self._V, self._scale = _spectral(R, gamma)
        self._z = self._V.T @ (R.T @ y)
        self._g, self._rg = g, 1.0 - g
        if lambdas is None:
            # the generalised singular values sqrt((1 − γ) / γ) span the useful λ'
            valid = (g > 1e-12) & (self._rg > 1e-12)
            gsv = np.sqrt(self._rg[valid] / g[valid])
            lambdas = np.geomspace(gsv.min() / 10, gsv.max() * 10, 200) / self._scale
        self.lambdas = as_array(lambdas, "lambdas", ndim=1)
        z2 = np.sum(self._z**2, axis=1)
        y2 = float(np.sum(y**2))
        res, sol, trace = [], [], []
        for lam in self.lambdas:
            f = self._filter(lam)
            res.append(y2 - 2 * np.sum(f * z2) + np.sum(f**2 * self._rg * z2))
            sol.append(np.sum(g * f**2 * z2))
            trace.append(np.sum(f * self._rg))
        res = np.maximum(res, 0.0)
        self.residual_norm = np.sqrt(res)
        self.solution_norm = np.sqrt(np.array(sol)) * self._scale
        self.gcv = res / (y.shape[1] * (R.shape[0] - np.array(trace)) ** 2)

    def _filter(self, lam):
        # in the scaled pencil the parameter is λ c
        return 1.0 / (self._rg + (lam * self._scale) ** 2 * self._g)

    def select(self, lam="lcurve"):
        """The solution for λ chosen by ``"lcurve"`` or ``"gcv"``, or for a given λ.

        Returns
        -------
        Reconstruction
        """
        if isinstance(lam, str):
            check_choice(lam, "lam", CRITERIA)
            if lam == "lcurve":
                k = corner(self.lambdas, self.residual_norm, self.solution_norm)
            else:
                k = int(np.argmin(self.gcv))
            lam = float(self.lambdas[k])
        lam = float(as_array(lam, "lam", shape=()))
        u = self._V @ (self._filter(lam)[:, None] * self._z)
        return Reconstruction(
            u, lam, self.lambdas, self.residual_norm, self.solution_norm, self.gcv
        )


def tikhonov(R, y, order=0, laplacian=None, lam="lcurve", lambdas=None):
    """Tikhonov solution for every frame with one λ.

    Parameters
    ----------
    R : array_like, shape (n_torso, n_heart)
        Transfer matrix.
    y : array_like, shape (n_torso, n_frames)
        Body-surface potentials.
    order : {0, 2}
        Γ = I (0) or Γ = ``laplacian`` (2).
    laplacian : array_like or sparse, shape (n_heart, n_heart)
        The heart-surface Laplacian (1/m²), needed for order 2.
    lam : "lcurve", "gcv" or float
        The criterion that picks λ, or λ itself (in the units of ‖y‖ / ‖Γu‖).
    lambdas : array_like, optional
        The λ grid scanned (see :class:`TikhonovPath`).

    Returns
    -------
    Reconstruction
    """
    return TikhonovPath(R, y, order, laplacian, lambdas).select(lam)


def window_laplacian(n_frames, window):
    """Graph Laplacian of frames linked when at most ``window`` frames apart, ``(T, T)``."""
    n = check_int(n_frames, "n_frames", minimum=2)
    w = check_int(window, "window", minimum=1)
    offsets = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    adjacency = ((offsets > 0) & (offsets <= w)).astype(float)
    return np.diag(adjacency.sum(axis=1)) - adjacency


def stre(R, y, laplacian, lam_s="gcv", lam_t="gcv", window=2, lambdas_t=None):
    """Spatiotemporal regularisation (STRE, Yao & Yang 2016) over all frames at once.

    Parameters
    ----------
    R : array_like, shape (n_torso, n_heart)
        Transfer matrix.
    y : array_like, shape (n_torso, n_frames)
        Body-surface potentials.
    laplacian : array_like or sparse, shape (n_heart, n_heart)
        Heart-surface Laplacian (1/m²).
    lam_s : "lcurve", "gcv" or float
        Spatial weight; a criterion takes it from second-order Tikhonov on the same data.
    lam_t : "gcv" or float
        Temporal weight; "gcv" minimises the GCV function of the full spatiotemporal
        estimator over ``lambdas_t``.
    window : int
        Half-width (frames) of the temporal window.
    lambdas_t : array_like, optional
        The λ_t grid (default 24 values, log-spaced from 1e-3 to 1e2).

    Returns
    -------
    Reconstruction
        ``lam`` is ``(λ_s, λ_t)``; the curves are over ``lambdas_t``.
    """
    R, y = _check(R, y)
    gamma = _regulariser(R, 2, laplacian)
    if isinstance(lam_s, str):
        lam_s = tikhonov(R, y, order=2, laplacian=gamma, lam=lam_s).lam
    lam_s = float(as_array(lam_s, "lam_s", shape=()))
    rtr = R.T @ R
    a, P = scipy.linalg.eigh(rtr + lam_s**2 * (gamma.T @ gamma))
    b, Q = scipy.linalg.eigh(window_laplacian(y.shape[1], window))
    b = np.clip(b, 0.0, None)
    RP = R @ P
    c = P.T @ (R.T @ y) @ Q
    yq = y @ Q
    leverage = np.sum(RP**2, axis=0)
    m, n_frames = y.shape

    def solve(lam_t):
        x = c / (a[:, None] + lam_t**2 * b[None, :])
        residual = np.linalg.norm(yq - RP @ x)
        trace = np.sum(leverage[:, None] / (a[:, None] + lam_t**2 * b[None, :]))
        return x, residual, np.sqrt(np.sum(x**2 * b[None, :])), trace

    if lambdas_t is None:
        lambdas_t = np.logspace(-3, 2, 24)
    lambdas_t = as_array(lambdas_t, "lambdas_t", ndim=1)
    res, sol, gcv = [], [], []
    for lt in lambdas_t:
        _, r, s, trace = solve(lt)
        res.append(r)
        sol.append(s)
        gcv.append(r**2 / (m * n_frames - trace) ** 2)
    if isinstance(lam_t, str):
        check_choice(lam_t, "lam_t", ("gcv",))
        lam_t = float(lambdas_t[int(np.argmin(gcv))])
    lam_t = float(as_array(lam_t, "lam_t", shape=()))
    x = solve(lam_t)[0]
    return Reconstruction(
        P @ x @ Q.T, (lam_s, lam_t), lambdas_t, np.array(res), np.array(sol), np.array(gcv)
    )
