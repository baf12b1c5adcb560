"""Boundary-element transfer matrix from heart-surface to torso-surface potentials.

The torso volume conductor between the heart surface H and the torso surface B is homogeneous
and the torso surface is insulated. Green's second identity gives, for a collocation node r₀
on either surface (Barr, Ramsey & Spach 1977, with linear elements),

    Ω(r₀) φ(r₀) = ∫_B φ dΩ − ∫_H φ dΩ − ∫_H Γ / |r − r₀| dS,         Γ = ∂φ/∂n on H,

where dΩ is the solid angle of a surface element seen from r₀ (normals outward of each closed
surface) and Ω(r₀) is the solid angle subtended by the volume conductor at r₀. Potentials are
linear on each triangle; the solid-angle weights of a linear triangle are exact (de Munck
1992), the single-layer integrals use a 7-point Gauss rule, or a Duffy transform on triangles
that contain r₀. Ω(r₀) is not computed from geometry: it is set so that a constant potential
solves the discrete equations exactly ("auto solid angle"), which makes every row of the
transfer matrix sum to one. Eliminating Γ and the torso potentials gives R with
``φ_B = R φ_H``.
"""

import numpy as np
import scipy.sparse as sp
from tqdm.auto import tqdm

from ..validation import check_int
from .geometry import Geometry, triangle_areas

# Dunavant's degree-5 rule on a triangle: barycentric coordinates and weights (sum 1)
_A1, _B1, _A2, _B2 = 0.059715871789770, 0.470142064105115, 0.797426985353087, 0.101286507323456
_GAUSS_BARY = np.array(
    [[1 / 3, 1 / 3, 1 / 3]]
    + [[_A1, _B1, _B1], [_B1, _A1, _B1], [_B1, _B1, _A1]]
    + [[_A2, _B2, _B2], [_B2, _A2, _B2], [_B2, _B2, _A2]]
)
_GAUSS_W = np.array([0.225] + [0.132394152788506] * 3 + [0.125939180544827] * 3)


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
        G[idx] = _single_layer(points[idx], idx, points, heart_faces, nb)
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


def _single_layer(points, point_ids, vertices, faces, offset):
    """∫ N_j / |r − r₀| dS over the heart triangles for each point, as ``(n_points, n_heart)``."""
    n_heart = len(vertices) - offset
    corners = vertices[faces]
    areas = triangle_areas(vertices, faces)
    quad = np.einsum("qk,tkd->tqd", _GAUSS_BARY, corners)
    dist = np.linalg.norm(quad[None] - points[:, None, None], axis=3)
    # per (point, triangle, corner): Σ_q w_q N_k(q) / |q − r₀|, times the area
    local = np.einsum("ptq,q,qk->ptk", 1.0 / dist, _GAUSS_W, _GAUSS_BARY) * areas[None, :, None]
    own = faces[None] == point_ids[:, None, None]
    hit_p, hit_t = np.nonzero(own.any(axis=2))
    if hit_p.size:
        corner = np.argmax(own[hit_p, hit_t], axis=1)
        local[hit_p, hit_t] = _duffy(corners[hit_t], corner)
    out = np.zeros((len(points), n_heart))
    for k in range(3):
        incidence = sp.csr_matrix(
            (np.ones(len(faces)), (np.arange(len(faces)), faces[:, k] - offset)),
            shape=(len(faces), n_heart),
        )
        out += (incidence.T @ local[:, :, k].T).T
    return out


_DUFFY_U, _DUFFY_UW = np.polynomial.legendre.leggauss(4)
_DUFFY_V, _DUFFY_VW = np.polynomial.legendre.leggauss(12)


def _duffy(corners, singular):
    """∫ N_k / |r − corner_s| dS on triangles whose corner ``s`` is the collocation point.

    The Duffy map r = A + u (B − A) + u v (C − B), (u, v) ∈ [0, 1]², cancels the 1/|r − A|
    singularity (Jacobian 2 area u, distance u |B − A + v (C − B)|), leaving a smooth integrand
    that Gauss-Legendre integrates to machine precision.
    """
    order = (singular[:, None] + np.arange(3)[None]) % 3
    a, b, c = (corners[np.arange(len(corners)), order[:, k]] for k in range(3))
    u = 0.5 * (_DUFFY_U + 1)
    v = 0.5 * (_DUFFY_V + 1)
    w = np.outer(_DUFFY_UW, _DUFFY_VW) / 4.0
    area2 = np.linalg.norm(np.cross(b - a, c - a), axis=1)
    direction = (b - a)[:, None] + v[None, :, None] * (c - b)[:, None]
    inv_len = 1.0 / np.linalg.norm(direction, axis=2)
    # hat functions at the Duffy points: N_a = 1 − u, N_b = u (1 − v), N_c = u v
    hats = np.stack([np.outer(1 - u, np.ones_like(v)), np.outer(u, 1 - v), np.outer(u, v)], axis=-1)
    values = np.einsum("uv,tv,uvk->tk", w, inv_len, hats) * area2[:, None]
    out = np.empty_like(values)
    out[np.arange(len(corners))[:, None], order] = values
    return out
