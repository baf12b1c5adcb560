"""EAND-ARN's physics: the Aliev-Panfilov residuals (eqs. 6-8) and one object per derivative
scheme (the paper's EP-DL_AD, EP-DL_ΔND and STND), backend-neutral.

Every scheme gives, at the batch's centre frames, ``∂û/∂t``, ``∂v̂/∂t`` and the surface
Laplacian ``Δû`` in the simulator's units (model time units, 1/m²), so that
:func:`residuals` is eqs. (6)-(7) with the parameters and units of
:mod:`~pinn_inverse.ecg.aliev_panfilov`, and vanishes on its simulated truth up to the
discretisation error.

- :class:`AD` (``"ad"``, EP-DL_AD): automatic differentiation in space and time. The network is
  a function of 3D position, so its 3D Laplacian is not the surface's. The paper's EP-DL takes
  the 3D one; here it is projected on the surface (Laplace-Beltrami of the restriction):
  ``Δ_S f = Δf − n·(∇∇f) n − κ ∂f/∂n``, with the vertex normals ``n`` and the total curvature
  ``κ = div n`` (2/r on a sphere) estimated from the mesh (:func:`vertex_normals`,
  :func:`total_curvature`). It is exact for any smooth extension of the surface field (the
  3D Laplacian is not: it vanishes on a harmonic polynomial, whose surface Laplacian is
  −l(l+1)/r² times it), so the EP residual constrains the field on the heart and not its
  extension off it. ``r_b = n·∇û`` (eq. 8) is kept as the paper has it; on the closed heart
  surface eq. (3) has no boundary to hold on, and the term only asks the network's extension
  to be constant along the normals.
- :class:`NDSpace` (``"nd_space"``, EP-DL_ΔND): the mesh Laplacian (eq. 15) on the nodal
  outputs, AD in time.
- :class:`STND` (``"nd"``, the paper's STND): the mesh Laplacian and the 4th-order temporal
  stencils (eqs. 17-18) over each centre frame's ±τ, ±2τ neighbours (one-sided at the ends).

The ND schemes act on nodal values only: a closed surface has no boundary, the mesh Laplacian
needs no boundary condition, and there is no normal derivative of nodal values to penalise, so
they have no ``r_b`` term.
"""

import deepxde as dde
import numpy as np

from ... import backend
from ...operators import mesh_edges
from ...validation import check_choice
from ..aliev_panfilov import E0, MU1, MU2, A, K, reaction

R_V_FORMS = ("eq7", "cleared")  # r_v as eq. (7) prints it, or with ξ's denominator cleared


def residuals(u, v, du_dt, dv_dt, lap_u, D, r_v="eq7"):
    """Aliev-Panfilov residuals ``r_u, r_v`` (eqs. 6-7) in model time units.

    ``r_u = ∂u/∂t − D Δu − k u (u − a)(1 − u) + u v`` and
    ``r_v = ∂v/∂t − ξ(u, v) (−v − k u (u − a − 1))``, the reaction terms of
    :func:`~pinn_inverse.ecg.aliev_panfilov.reaction` (numpy arrays or backend tensors).
    ``ξ = e₀ + μ₁ v / (u + μ₂)`` has a pole at u = −μ₂: a network whose û crosses −0.3 has a
    huge ``r_v`` (the paper's "bad initialisation", see :func:`~.problem.eand_arn`).

    ``r_v="cleared"`` takes eq. (7) with the pole's denominator cleared instead,
    ``(1 + u/μ₂) r_v = (1 + u/μ₂) ∂v/∂t − (e₀ (1 + u/μ₂) + μ₁ v/μ₂)(−v − k u (u − a − 1))``:
    a polynomial, finite for every u, equal to eq. (7) where u = 0 (at rest) and with the
    same zeros where u > −μ₂ (every state of the model), so the EP loss has the same minima
    on the physical range and no pole for the network to cross. It is not the default: on
    validation beats (pacing node 99, seeds 100-104, σ = 0.01, NN6 with STND, the default
    preset without screening) it gave RE 0.197 / 0.140 / 0.147 / 0.185 / 0.142 against
    eq. (7)'s 0.131 / 0.129 / 0.144 / 0.838 / 0.137: better only from seed 103, the one bad
    initialisation, and worse from every good one (its factor scales r_v 4.3 times more at
    u = 1 than at rest); the default's initialisation screening (``Preset.init_draws``)
    trains seed 103 to 0.135 with eq. (7).

    Parameters
    ----------
    u, v : array or tensor
        Normalised potential and recovery variable.
    du_dt, dv_dt : array or tensor
        Their time derivatives (per model time unit).
    lap_u : array or tensor
        Surface Laplacian of u (1/m²).
    D : float
        Diffusion coefficient (m² per model time unit).
    """
    react_u, react_v = reaction(u, v)
    r_u = du_dt - D * lap_u - react_u
    if check_choice(r_v, "r_v", R_V_FORMS) == "eq7":
        return r_u, dv_dt - react_v
    scale = 1.0 + u / MU2  # (u + μ₂) / μ₂
    return r_u, scale * dv_dt - (E0 * scale + MU1 * v / MU2) * (-v - K * u * (u - A - 1.0))


def vertex_normals(vertices, faces):
    """Unit outward normals at the nodes, with Max's (1999) weights: each triangle corner adds
    ``(a × b) / (|a|² |b|²)`` of its two edges, which is exact for nodes on a sphere."""
    normals = np.zeros_like(vertices, dtype=float)
    for k in range(3):
        i, j, m = faces[:, k], faces[:, (k + 1) % 3], faces[:, (k + 2) % 3]
        a, b = vertices[j] - vertices[i], vertices[m] - vertices[i]
        weight = np.einsum("ij,ij->i", a, a) * np.einsum("ij,ij->i", b, b)
        np.add.at(normals, i, np.cross(a, b) / weight[:, None])
    return normals / np.linalg.norm(normals, axis=1, keepdims=True)


def total_curvature(vertices, faces, normals):
    """Sum of the principal curvatures κ = div n at the nodes (1/m; 2/r on a sphere of radius
    r): twice the mean over the edges of the normal curvature of the circle through both
    ends tangent to the node's plane, ``2 n_i·(x_i − x_j) / |x_i − x_j|²``. Exact on a
    sphere; elsewhere it averages the normal curvature over the edge directions, which are
    not uniform on a stretched mesh: 8 % RMS bias on an icosphere stretched to a 1 : 1.5 : 2
    ellipsoid, not reduced by refinement (tests/test_ecg_eand_arn.py). Only :class:`AD` uses
    it, times ``∂û/∂n``, which its ``r_b`` term drives to zero."""
    edges = mesh_edges(faces)
    i = np.concatenate([edges[:, 0], edges[:, 1]])
    j = np.concatenate([edges[:, 1], edges[:, 0]])
    d = vertices[i] - vertices[j]
    k = 2.0 * np.einsum("ij,ij->i", normals[i], d) / np.einsum("ij,ij->i", d, d)
    n = len(vertices)
    return 2.0 * np.bincount(i, weights=k, minlength=n) / np.bincount(i, minlength=n)


class _Scheme:
    name = None
    loss_names = ("r_u", "r_v")
    stencil = False  # whether the batch carries each centre's temporal neighbours

    def __init__(self, D, scales, laplacian=None, r_v="eq7"):
        self.D, self.scales, self.laplacian, self.r_v = float(D), scales, laplacian, r_v

    def residuals(self, batch):
        """The scheme's residual tensors at the batch's centres, one per ``loss_names``."""
        raise NotImplementedError


def _ad_time(batch, component, scales):
    """∂/∂t of an output at the centres by AD, in model time units (t̃ = (t − t₀)/T_half − 1)."""
    dt = dde.grad.jacobian(batch.outputs, batch.inputs, i=component, j=3)
    return batch.centres(batch.per_node(dt)) / scales.time


class STND(_Scheme):
    """``"nd"``: mesh Laplacian (eq. 15) and temporal stencils (eqs. 17-18); no AD."""

    name = "nd"
    stencil = True

    def residuals(self, batch):
        u, v = batch.centres(batch.u), batch.centres(batch.v)
        du_dt = dde.backend.matmul(batch.u, batch.stencil)  # eqs. (17)-(18), rows at the centres
        dv_dt = dde.backend.matmul(batch.v, batch.stencil)
        return list(residuals(u, v, du_dt, dv_dt, self.laplacian(u), self.D, self.r_v))


class NDSpace(_Scheme):
    """``"nd_space"``: mesh Laplacian (eq. 15), AD in time."""

    name = "nd_space"

    def residuals(self, batch):
        u, v = batch.centres(batch.u), batch.centres(batch.v)
        du_dt, dv_dt = _ad_time(batch, 0, self.scales), _ad_time(batch, 1, self.scales)
        return list(residuals(u, v, du_dt, dv_dt, self.laplacian(u), self.D, self.r_v))


class AD(_Scheme):
    """``"ad"``: AD in space and time, the surface-projected Laplacian, and ``r_b``.

    ``normals`` (N, 3) and ``curvature`` (N,) (1/m) are the nodes', e.g. from
    :func:`vertex_normals` and :func:`total_curvature`. ``r_b`` is n·∇û per heart radius,
    ``input_scale`` length scales (``scales.length`` is the radius / ``input_scale``, see
    :class:`~pinn_inverse.ecg.eand_arn.Preset`), so that its loss does not depend on it.
    """

    name = "ad"
    loss_names = ("r_u", "r_v", "r_b")

    def __init__(self, D, scales, normals, curvature, r_v="eq7", input_scale=1.0):
        super().__init__(D, scales, r_v=r_v)
        self.input_scale = float(input_scale)
        self.normals = [backend.as_tensor(normals[:, k : k + 1]) for k in range(3)]
        # nondimensional κ: per length scale
        self.curvature = backend.as_tensor(curvature[:, None] * scales.length)

    def surface_terms(self, batch):
        """(Δ_S û, n·∇û) at the centres, nondimensional (per length scale² and per length)."""
        x, y = batch.inputs, batch.outputs
        n = self.normals
        grad = [batch.per_node(dde.grad.jacobian(y, x, i=0, j=k)) for k in range(3)]
        normal = sum(n[k] * grad[k] for k in range(3))
        hess = [[batch.per_node(dde.grad.hessian(y, x, component=0, i=k, j=m))
                 for m in range(3)] for k in range(3)]  # fmt: skip
        laplacian = sum(hess[k][k] for k in range(3))
        along_n = sum(n[k] * n[m] * hess[k][m] for k in range(3) for m in range(3))
        surface = laplacian - along_n - self.curvature * normal
        return batch.centres(surface), batch.centres(normal)

    def residuals(self, batch):
        u, v = batch.centres(batch.u), batch.centres(batch.v)
        du_dt, dv_dt = _ad_time(batch, 0, self.scales), _ad_time(batch, 1, self.scales)
        lap, normal = self.surface_terms(batch)
        lap = lap / self.scales.length**2
        r_u, r_v = residuals(u, v, du_dt, dv_dt, lap, self.D, self.r_v)
        return [r_u, r_v, normal * self.input_scale]  # eq. (8), per heart radius


SCHEMES = {scheme.name: scheme for scheme in (AD, NDSpace, STND)}
