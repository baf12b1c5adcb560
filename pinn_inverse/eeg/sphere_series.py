"""Exact potential of a current dipole in N concentric shells (the ground truth for spheres).

Legendre-series solution of ∇·(σ∇φ) = −I with zero flux at the outer surface (de Munck 1988;
Zhang 1995), valid at **every** point of every shell, not only on the scalp. For a unit point
current at r₀ in the inner shell, each degree n of the potential is

    shell 0:   [ (r₀ⁿ / r^{n+1}) / 4πσ₀  +  α₀ (r/R₀)ⁿ ] Pₙ(cos γ)          (primary + secondary)
    shell k:   [ α_k (r/R_k)ⁿ + β_k (R_{k−1}/r)^{n+1} ] Pₙ(cos γ),   k ≥ 1

with φ and σ ∂φ/∂r continuous at every R_k and σ ∂φ/∂r = 0 at the outer radius. The basis is
scaled so that every entry of the (2N−1)-unknown system is O(n): no overflow at high degree.
Because every coefficient is proportional to r₀ⁿ, the dipole potential is the gradient with
respect to the source position, p·∇_{r₀}, taken in closed form on the solid harmonic
r₀ⁿ Pₙ(r̂·r̂₀).

In the source shell the point-dipole primary term is replaced by the closed-form potential of
the Gaussian-smoothed dipole (:meth:`Dipole.primary_potential`). The secondary field is
harmonic in the source position as well, so by the mean-value property its average over the
spherically symmetric smoothing equals its value at x₀: the result is exact for the smoothed
dipole up to the Gaussian's tail beyond the brain (which :class:`Dipole` keeps below 0.13 %).
The n = 0 term vanishes for a dipole, so the potential has zero mean over every sphere centred
at the origin; that fixes the constant of the Neumann problem.
"""

import numpy as np

from ..validation import as_points, check_int
from .electrodes import ON_SCALP_RTOL, check_on_scalp
from .head import ThreeShellHead
from .sources import SUPPORT_WIDTHS, Dipole

MAX_TERMS = 5000
POINT_WIDTH = 1e-4  # m: at the scalp a smoothed dipole this narrow is a point dipole


def auto_terms(head: ThreeShellHead, dipole: Dipole, tol=1e-13):
    """Number of terms for a truncation error ≲ ``tol`` relative: terms decay like (r₀/R₀)ⁿ."""
    ratio = np.linalg.norm(dipole.position) / head.radii[0]
    if ratio == 0:
        return 1
    # P'_n grows like n², hence the margin of 2 log(n) decades
    n = np.log(tol) / np.log(ratio)
    return int(min(MAX_TERMS, np.ceil(n + 2 * np.log(max(n, 1.0)) / -np.log(ratio)) + 5))


def shell_coefficients(head: ThreeShellHead, n_terms):
    """Scaled coefficients (α_k, β_k) for degrees n = 1 … n_terms, for a unit primary at R₀.

    Returns
    -------
    alpha, beta : ndarray, shape (n_terms, n_shells)
        ``beta[:, 0]`` is the (unit) primary coefficient of the source shell.
    """
    radii = np.asarray(head.radii)
    sigmas = np.asarray(head.sigmas)
    n_shells = radii.size
    n = np.arange(1, n_terms + 1, dtype=float)
    size = 2 * n_shells - 1
    A = np.zeros((n.size, size, size))
    b = np.zeros((n.size, size))

    def a_col(k):  # column of α_k
        return 0 if k == 0 else 2 * k - 1

    def b_col(k):  # column of β_k (k ≥ 1)
        return 2 * k

    row = 0
    for k in range(n_shells - 1):
        # interface R_k between shell k and k+1: continuity of φ, then of σ ∂φ/∂r (× R_k)
        p = (radii[k] / radii[k + 1]) ** n  # (R_k/R_{k+1})ⁿ
        A[:, row, a_col(k)] = 1.0
        A[:, row + 1, a_col(k)] = sigmas[k] * n
        if k == 0:
            b[:, row] = -1.0
            b[:, row + 1] = sigmas[0] * (n + 1)
        else:
            q = (radii[k - 1] / radii[k]) ** (n + 1)
            A[:, row, b_col(k)] = q
            A[:, row + 1, b_col(k)] = -sigmas[k] * (n + 1) * q
        A[:, row, a_col(k + 1)] = -p
        A[:, row, b_col(k + 1)] = -1.0
        A[:, row + 1, a_col(k + 1)] = -sigmas[k + 1] * n * p
        A[:, row + 1, b_col(k + 1)] = sigmas[k + 1] * (n + 1)
        row += 2
    # zero flux at the outer radius: ∂φ/∂r = 0 (× R)
    last = n_shells - 1
    A[:, row, a_col(last)] = n
    if last == 0:
        b[:, row] = n + 1
    else:
        A[:, row, b_col(last)] = -(n + 1) * (radii[last - 1] / radii[last]) ** (n + 1)
    x = np.linalg.solve(A, b[..., None])[..., 0]
    alpha = np.stack([x[:, a_col(k)] for k in range(n_shells)], axis=1)
    beta = np.stack([np.ones_like(n)] + [x[:, b_col(k)] for k in range(1, n_shells)], axis=1)
    return alpha, beta


def _unit(v, fallback):
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.where(norm > 0, v / np.where(norm > 0, norm, 1.0), fallback)


def _series_chunk(head, dipole, points, alpha, beta):
    radii = np.asarray(head.radii)
    shell = np.minimum(head.shell_index(points), head.n_shells - 1)
    r = np.linalg.norm(points, axis=1)
    x0 = np.asarray(dipole.position)
    p = np.asarray(dipole.moment)
    r0 = np.linalg.norm(x0)
    t_hat = _unit(x0, np.array([0.0, 0.0, 1.0]))  # any direction when r₀ = 0: only n = 1 is left
    u = _unit(points, np.array([1.0, 0.0, 0.0]))  # any direction at r = 0: rⁿ = 0 there
    c = np.clip(u @ t_hat, -1.0, 1.0)
    p_t = p @ t_hat
    p_u = u @ p
    r_outer = radii[shell]
    r_inner = np.where(shell > 0, radii[np.maximum(shell - 1, 0)], 1.0)
    ratio_a = r / r_outer  # (r/R_k)
    ratio_b = np.where(shell > 0, r_inner / np.where(r > 0, r, 1.0), 0.0)  # (R_{k−1}/r)
    P_prev, P = np.ones_like(c), c.copy()  # P₀, P₁
    dP_prev, dP = np.zeros_like(c), np.ones_like(c)  # P₀', P₁'
    total = np.zeros_like(r)
    for i in range(alpha.shape[0]):
        n = i + 1
        radial = alpha[i, shell] * ratio_a**n + beta[i, shell] * ratio_b ** (n + 1) * (shell > 0)
        # p·∇_{r₀}[r₀ⁿ Pₙ(c)] / r₀^{n−1} = n Pₙ (p·t̂) + Pₙ' (p·u − c p·t̂)
        angular = n * P * p_t + dP * (p_u - c * p_t)
        total += (r0 / radii[0]) ** (n - 1) * radial * angular
        P_prev, P = P, ((2 * n + 1) * c * P - n * P_prev) / (n + 1)
        dP_prev, dP = dP, dP_prev + (2 * n + 1) * P_prev
    total /= 4 * np.pi * head.sigmas[0] * radii[0] ** 2
    in_source_shell = shell == 0
    if np.any(in_source_shell):
        total[in_source_shell] += dipole.primary_potential(points[in_source_shell], head.sigmas[0])
    return total


def exact_potential(head: ThreeShellHead, dipole: Dipole, points, n_terms=None, chunk=200_000):
    """Exact potential φ(x) (V) of a smoothed current dipole in a concentric-shell head.

    Parameters
    ----------
    head : ThreeShellHead
        The shells (radii in m, conductivities in S/m).
    dipole : Dipole
        The source, inside the innermost shell (moment in A·m).
    points : array_like, shape (N, 3)
        Where to evaluate (m), anywhere inside the head (points outside are refused).
    n_terms : int, optional
        Number of Legendre terms; default: enough for ~1e-13 relative truncation error.

    Returns
    -------
    ndarray, shape (N,)
        Potential in volts; it has zero mean over every origin-centred sphere.
    """
    points = as_points(points, "points")
    dipole.check_compatible(head)
    # electrodes may sit up to ON_SCALP_RTOL outside the scalp (as check_on_scalp accepts):
    # the outer shell's series continues smoothly there
    outside = np.linalg.norm(points, axis=1) > head.radius * (1 + ON_SCALP_RTOL)
    if np.any(outside):
        raise ValueError(
            f"{int(outside.sum())} point(s) lie outside the head (radius {head.radius} m)"
        )
    n_terms = auto_terms(head, dipole) if n_terms is None else check_int(n_terms, "n_terms", 1)
    alpha, beta = shell_coefficients(head, n_terms)
    return np.concatenate(
        [
            _series_chunk(head, dipole, points[i : i + chunk], alpha, beta)
            for i in range(0, max(len(points), 1), chunk)
        ]
    )


def check_positions(head, positions, margin):
    """Positions (N, 3) (m) within ``margin`` (m) of the brain's surface, or a ValueError."""
    positions = as_points(positions, "positions")
    limit = head.radii[0] - margin
    r = np.linalg.norm(positions, axis=1)
    bad = np.flatnonzero(r > limit)
    if bad.size:
        raise ValueError(
            f"{bad.size} source position(s) lie outside the brain's search region: e.g. "
            f"position {bad[0]} at {r[bad[0]] * 1e3:.2f} mm from the centre; positions must "
            f"satisfy |x| <= {limit * 1e3:.2f} mm (brain radius {head.radii[0] * 1e3:.1f} mm "
            f"minus {margin * 1e3:.2f} mm)"
        )
    return positions


def leadfield(head: ThreeShellHead, electrodes, positions):
    """Average-referenced lead field of unit point dipoles (V/(A·m)).

    Column 3i + j is the potential at the electrodes of a unit dipole (1 A·m) at
    ``positions[i]`` along axis j (x, y, z), minus its mean over the electrodes. It equals
    :func:`~pinn_inverse.eeg.exact_potential` of a narrow :class:`Dipole` (the smoothing
    width does not reach the scalp). The series runs once for all positions: at the
    electrodes (outermost shell) the degree-n term of a dipole p at r₀ = r₀ t̂ is
    (r₀/R₀)ⁿ⁻¹ ρₙ [n Pₙ(c) p·t̂ + Pₙ'(c)(p·û − c p·t̂)] / (4πσ₀R₀²), with c = û·t̂ and
    ρₙ the radial factor of the outermost shell (:func:`~pinn_inverse.eeg.sphere_series.
    shell_coefficients`) at the electrode. All three orientations p = eⱼ therefore follow
    from two sums over n, A = Σ (r₀/R₀)ⁿ⁻¹ ρₙ (n Pₙ − c Pₙ') and B = Σ (r₀/R₀)ⁿ⁻¹ ρₙ Pₙ':
    L = (A t̂ + B û) / (4πσ₀R₀²), at a cost per (electrode, position, term).

    Parameters
    ----------
    head : ThreeShellHead
        Shell radii (m) and conductivities (S/m).
    electrodes : array_like, shape (M, 3)
        Electrode positions on the scalp (m).
    positions : array_like, shape (N, 3)
        Dipole positions (m), at most brain radius − 0.3 mm from the centre (the range in
        which :class:`Dipole` of width 0.1 mm is accepted).

    Returns
    -------
    ndarray, shape (M, 3N)
        Lead field in V/(A·m); every column has zero mean over the electrodes.
    """
    electrodes = check_on_scalp(electrodes, head)
    positions = check_positions(head, positions, SUPPORT_WIDTHS * POINT_WIDTH)
    radii = np.asarray(head.radii)
    last = head.n_shells - 1
    r = np.linalg.norm(electrodes, axis=1)[:, None]
    u = electrodes / r
    r0 = np.linalg.norm(positions, axis=1)
    # any axis at r₀ = 0, where only n = 1 is left
    t = np.where(r0[:, None] > 0, positions / np.where(r0 > 0, r0, 1.0)[:, None], [0, 0, 1.0])
    farthest = positions[np.argmax(r0)] if len(positions) else np.zeros(3)
    n_terms = auto_terms(head, Dipole(position=farthest, width=POINT_WIDTH))
    alpha, beta = shell_coefficients(head, n_terms)
    c = np.clip(u @ t.T, -1.0, 1.0)  # (M, N)
    P_prev, P = np.ones_like(c), c.copy()
    dP_prev, dP = np.zeros_like(c), np.ones_like(c)
    A = np.zeros_like(c)
    B = np.zeros_like(c)
    for i in range(n_terms):
        n = i + 1
        radial = alpha[i, last] * (r / radii[last]) ** n
        if last > 0:
            radial = radial + beta[i, last] * (radii[last - 1] / r) ** (n + 1)
        weight = radial * (r0 / radii[0]) ** (n - 1)
        A += weight * (n * P - c * dP)
        B += weight * dP
        P_prev, P = P, ((2 * n + 1) * c * P - n * P_prev) / (n + 1)
        dP_prev, dP = dP, dP_prev + (2 * n + 1) * P_prev
    field = A[..., None] * t[None] + B[..., None] * u[:, None, :]  # (M, N, 3)
    field /= 4 * np.pi * head.sigmas[0] * radii[0] ** 2
    if last == 0:  # electrodes in the source shell also see the primary field
        d = electrodes[:, None, :] - positions[None]
        field += d / (4 * np.pi * head.sigmas[0] * np.linalg.norm(d, axis=-1)[..., None] ** 3)
    field = field.reshape(len(electrodes), -1)
    return field - field.mean(axis=0)  # the average reference
