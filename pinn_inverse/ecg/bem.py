"""Boundary-element transfer matrix from heart-surface to torso-surface potentials.

The torso volume conductor between the heart surface H and the torso surface B is homogeneous
and the torso surface is insulated. Green's second identity gives, for a collocation node r₀
on either surface (Barr, Ramsey & Spach 1977, with linear elements),

    Ω(r₀) φ(r₀) = ∫_B φ dΩ − ∫_H φ dΩ − ∫_H Γ / |r − r₀| dS,         Γ = ∂φ/∂n on H,

where dΩ is the solid angle of a surface element seen from r₀ (normals outward of each closed
surface) and Ω(r₀) is the solid angle subtended by the volume conductor at r₀. Potentials are
linear on each triangle; both the solid-angle weights (de Munck 1992) and the single-layer
integrals (Wilton et al. 1984) of a linear triangle are closed forms, exact for every
collocation node however close to, or on, the triangle and however badly shaped it is. Ω(r₀)
is not computed from geometry: it is set so that a constant potential
solves the discrete equations exactly ("auto solid angle"), which makes every row of the
transfer matrix sum to one. Eliminating Γ and the torso potentials gives R with
``φ_B = R φ_H``.
"""

import numpy as np
import scipy.sparse as sp
from tqdm.auto import tqdm

from ..validation import check_int
from .geometry import Geometry


def transfer_matrix(geometry, chunk=64, progress=False):
    """Transfer matrix ``R`` with ``φ_torso = R @ φ_heart`` for a homogeneous torso.

    Parameters
    ----------
    geometry : Geometry
        Heart and torso surfaces (checked: closed, outward, nested), e.g. from
        :func:`~pinn_inverse.ecg.geometry.load_default_geometry`.
    chunk : int
        Collocation nodes per vectorised block (memory ~ chunk × triangles × 300 bytes).
    progress : bool
        Show a tqdm progress bar over the blocks.

    Returns
    -------
    ndarray, shape (n_torso, n_heart)
        Dimensionless; every row sums to one (a constant heart potential gives the same
        constant on the torso). The conductivity cancels for a homogeneous torso.
    """
    if not isinstance(geometry, Geometry):
        raise TypeError(
            f"geometry must be a Geometry (see check_nested), got {type(geometry).__name__}"
        )
    chunk = check_int(chunk, "chunk", minimum=1)
    heart, torso = geometry.heart, geometry.torso
    nb, nh = torso.n_nodes, heart.n_nodes
    points = np.concatenate([torso.vertices, heart.vertices])
    faces = np.concatenate([torso.faces, heart.faces + nb])
    sign = np.concatenate([np.ones(len(torso.faces)), -np.ones(len(heart.faces))])
    heart_faces = heart.faces + nb
    # K: double layer (signed solid angles, torso +, heart −); G: single layer on the heart
    K = np.zeros((nb + nh, nb + nh))
    G = np.zeros((nb + nh, nh))
    blocks = range(0, nb + nh, chunk)
    for start in tqdm(blocks, desc="BEM", disable=not progress):
        idx = np.arange(start, min(start + chunk, nb + nh))
        K[idx] = _double_layer(points[idx], points, faces, sign)
        G[idx] = _single_layer(points[idx], points, heart_faces, nb)
    # auto solid angle: rows of (Ω I − K) sum to zero, so constants are exact
    A = -K
    A[np.diag_indices_from(A)] += K.sum(axis=1)
    A_bb, A_bh, A_hb, A_hh = A[:nb, :nb], A[:nb, nb:], A[nb:, :nb], A[nb:, nb:]
    G_b, G_h = G[:nb], G[nb:]
    # Γ = −G_hh⁻¹ (A_hb φ_B + A_hh φ_H); substitute into the torso rows
    gb = np.linalg.solve(G_h.T, G_b.T).T
    return -np.linalg.solve(A_bb - gb @ A_hb, A_bh - gb @ A_hh)


def _double_layer(points, vertices, faces, sign):
    """Rows of the linear-element solid-angle matrix for the given collocation points."""
    weights = _linear_solid_angles(points, vertices, faces) * sign[None, :, None]
    n = len(vertices)
    out = np.zeros((len(points), n))
    for k in range(3):
        incidence = sp.csr_matrix(
            (np.ones(len(faces)), (np.arange(len(faces)), faces[:, k])), shape=(len(faces), n)
        )
        out += (incidence.T @ weights[:, :, k].T).T
    return out


def _linear_solid_angles(points, vertices, faces):
    """Solid angle of each triangle from each point split over its three linear hat functions.

    De Munck (1992), in the form used by MNE-Python's ``_lin_pot_coeff``; the three weights
    sum to the triangle's solid angle. Shape ``(n_points, n_faces, 3)``; zero for points in a
    triangle's plane (in particular the triangle's own vertices).
    """
    y = [vertices[faces[:, k]][None] - points[:, None] for k in range(3)]
    lengths = [np.linalg.norm(v, axis=2) for v in y]
    triple = np.einsum("ptk,ptk->pt", y[0], np.cross(y[1], y[2]))
    denom = lengths[0] * lengths[1] * lengths[2]
    for a, b, c in ((0, 1, 2), (0, 2, 1), (1, 2, 0)):
        denom = denom + np.einsum("ptk,ptk->pt", y[a], y[b]) * lengths[c]
    half_solid = np.arctan2(triple, denom)
    flat = np.abs(half_solid) < np.pi * 1e-9
    safe = [np.where(flat, 1.0, length) for length in lengths]
    # in-plane points (every node of a subdivided surface, for its coplanar triangles) can give
    # log(0) here; their weights are zero and set below
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = [_edge_log(y[k], safe[k], y[(k + 1) % 3], safe[(k + 1) % 3]) for k in range(3)]
    vec = (
        (beta[2] - beta[0])[..., None] * y[0]
        + (beta[0] - beta[1])[..., None] * y[1]
        + (beta[1] - beta[2])[..., None] * y[2]
    )
    e1 = vertices[faces[:, 1]] - vertices[faces[:, 0]]
    e2 = vertices[faces[:, 2]] - vertices[faces[:, 0]]
    normal2 = np.cross(e1, e2)
    area2 = np.linalg.norm(normal2, axis=1)
    unit_normal = normal2 / area2[:, None]
    out = np.empty(triple.shape + (3,))
    for k in range(3):
        after, before = y[(k + 1) % 3], y[(k + 2) % 3]
        diff = before - after
        zdot = np.einsum("ptk,tk->pt", np.cross(after, before), unit_normal)
        out[..., k] = (
            -(area2 * zdot * 2.0 * half_solid - triple * np.einsum("ptk,ptk->pt", diff, vec))
            / area2**2
        )
    out[flat] = 0.0
    return out


def _edge_log(rk, lk, rk1, lk1):
    """The edge integral ∫ dl / |r| along the edge from ``rk`` to ``rk1``, divided by its length."""
    edge = rk1 - rk
    size = np.linalg.norm(edge, axis=2)
    unit = edge / size[..., None]
    num = lk + np.einsum("ptk,ptk->pt", rk, unit)
    den = lk1 + np.einsum("ptk,ptk->pt", rk1, unit)
    return np.log(num / den) / size


def _single_layer(points, vertices, faces, offset):
    """∫ N_j / |r − r₀| dS over the heart triangles for each point, as ``(n_points, n_heart)``."""
    n_heart = len(vertices) - offset
    local = linear_single_layer(points, vertices, faces)
    out = np.zeros((len(points), n_heart))
    for k in range(3):
        incidence = sp.csr_matrix(
            (np.ones(len(faces)), (np.arange(len(faces)), faces[:, k] - offset)),
            shape=(len(faces), n_heart),
        )
        out += (incidence.T @ local[:, :, k].T).T
    return out


def linear_single_layer(points, vertices, faces):
    """Exact ∫_T N_k(r) / |r − r₀| dS of each linear hat function N_k over each triangle T.

    Closed form of Wilton et al. (1984) and Graglia (1993): with ρ the projection of r₀ on the
    triangle's plane, d its height above it, and for each edge i its outward in-plane normal
    û_i, signed end positions l∓_i along it, distance t⁰_i from ρ, R⁰_i = √(t⁰_i² + d²) and
    end distances R∓_i,

        ∫ 1 / R dS = Σ_i t⁰_i f_i − |d| Σ_i β_i,     ∫ (ρ' − ρ) / R dS = ½ Σ_i û_i (R⁰_i² f_i
        + l⁺_i R⁺_i − l⁻_i R⁻_i),     f_i = ln((R⁺_i + l⁺_i) / (R⁻_i + l⁻_i)),

    and N_k is linear, so ∫ N_k / R = N_k(ρ) ∫ 1 / R + ∇N_k · ∫ (ρ' − ρ) / R. Exact for every
    point: on a triangle's corner (the singular integrals of collocation), close to a triangle
    it does not touch, on needle-shaped triangles, where fixed quadrature rules fail.

    Parameters
    ----------
    points : ndarray, shape (n_points, 3)
        Observation points r₀ (m).
    vertices : ndarray, shape (n_vertices, 3)
        Triangle corners (m).
    faces : ndarray of int, shape (n_faces, 3)
        Triangles.

    Returns
    -------
    ndarray, shape (n_points, n_faces, 3)
        The integral for each point, triangle and corner k (m).
    """
    corners = vertices[faces]
    normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    area2 = np.linalg.norm(normal, axis=1)
    normal = normal / area2[:, None]
    height = np.einsum("ptk,tk->pt", points[:, None] - corners[None, :, 0], normal)
    rho = points[:, None] - height[..., None] * normal[None]
    abs_h = np.abs(height)
    total = np.zeros(height.shape)
    moment = np.zeros(height.shape + (3,))
    for i in range(3):
        start, end = corners[:, i], corners[:, (i + 1) % 3]
        length = np.linalg.norm(end - start, axis=1)
        along = (end - start) / length[:, None]
        outward = np.cross(along, normal)
        l_minus = np.einsum("ptk,tk->pt", start[None] - rho, along)
        l_plus = l_minus + length
        t0 = np.einsum("ptk,tk->pt", start[None] - rho, outward)
        r0_sq = t0**2 + height**2
        r_minus = np.linalg.norm(points[:, None] - start[None], axis=2)
        r_plus = np.linalg.norm(points[:, None] - end[None], axis=2)
        f, degenerate = _edge_potential(l_minus, l_plus, r_minus, r_plus, r0_sq, length)
        beta = np.arctan2(t0 * l_plus, r0_sq + abs_h * r_plus) - np.arctan2(
            t0 * l_minus, r0_sq + abs_h * r_minus
        )
        total += np.where(degenerate, 0.0, t0 * f - abs_h * beta)
        moment += 0.5 * (r0_sq * f + l_plus * r_plus - l_minus * r_minus)[..., None] * outward[None]
    out = np.empty(height.shape + (3,))
    for k in range(3):
        # ∇N_k = n × (c_{k+2} − c_{k+1}) / 2A, N_k(ρ) = 1 + ∇N_k · (ρ − c_k)
        gradient = np.cross(normal, corners[:, (k + 2) % 3] - corners[:, (k + 1) % 3])
        gradient /= area2[:, None]
        hat = 1.0 + np.einsum("ptk,tk->pt", rho - corners[None, :, k], gradient)
        out[..., k] = hat * total + np.einsum("ptk,tk->pt", moment, gradient)
    return out


def _edge_potential(l_minus, l_plus, r_minus, r_plus, r0_sq, length):
    """f = ln((R⁺ + l⁺) / (R⁻ + l⁻)) without cancellation, and where it vanishes from the sums.

    R + l is computed as R⁰² / (R − l) where l < 0, so a point near an edge's line (a needle
    triangle's long edge seen from its obtuse corner) keeps full precision. On the line itself
    (R⁰ = 0) every term f enters is multiplied by t⁰ or R⁰², whose limit is zero.
    """
    degenerate = r0_sq <= (1e-12 * length) ** 2
    safe = np.where(degenerate, 1.0, r0_sq)
    before = l_plus <= 0
    after = l_minus >= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(
            after,
            np.log((r_plus + l_plus) / (r_minus + l_minus)),
            np.where(
                before,
                np.log((r_minus - l_minus) / (r_plus - l_plus)),
                np.log((r_plus + l_plus) * (r_minus - l_minus) / safe),
            ),
        )
    return np.where(degenerate, 0.0, f), degenerate
