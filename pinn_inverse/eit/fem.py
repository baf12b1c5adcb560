"""Complete electrode model (CEM) solved with linear finite elements, and its Jacobian.

The forward problem of the paper (Sec. II) is −∇·(σ∇u) = 0 in Ω with the CEM on the
boundary (Somersalo, Cheney and Isaacson 1992):

    u + z_l σ ∂u/∂n = U_l on electrode e_l,   ∫_{e_l} σ ∂u/∂n ds = I_l,   σ ∂u/∂n = 0 between,

with Σ_l I_l = 0 and the ground Σ_l U_l = 0. The weak form gives the block system

    [K(σ) + B   C] [u]   [0]
    [C^T        D] [U] = [I],

K_ij = Σ_e σ_e ∫_e ∇φ_i·∇φ_j, B_ij = Σ_l z_l⁻¹ ∫_{e_l} φ_i φ_j, C_il = −z_l⁻¹ ∫_{e_l} φ_i,
D = diag(|e_l| / z_l), closed with a Lagrange multiplier for the ground.

Why a small sparse assembly rather than scikit-fem: every dataset sample re-assembles K for a
new σ, and with the geometric element matrices computed once the assembly is one vectorised
product (well under a millisecond), whereas a generic form assembler re-evaluates quadrature
every call. The assembly is verified against pyEIT's stiffness matrix and an analytic solution
in ``tests/test_eit_fem.py``.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from ..validation import as_array, check_positive
from .mesh import EITMesh


def shape_gradients(mesh: EITMesh):
    """Gradients of the three P1 basis functions on every triangle, shape (M, 3, 2) (1/m)."""
    p = mesh.nodes[mesh.triangles]
    # ∇φ_k is the rotated opposite edge over twice the area.
    edges = np.stack([p[:, 2] - p[:, 1], p[:, 0] - p[:, 2], p[:, 1] - p[:, 0]], axis=1)
    rotated = np.stack([-edges[..., 1], edges[..., 0]], axis=-1)
    return rotated / (2 * mesh.areas[:, None, None])


def check_sigma(sigma, n_elements):
    """Validate a conductivity: a positive scalar or one positive value per element (S/m)."""
    sigma = as_array(sigma, "sigma")
    if sigma.ndim == 0:
        sigma = np.full(n_elements, float(sigma))
    if sigma.shape != (n_elements,):
        raise ValueError(
            f"sigma must be a scalar or have one value per element, shape ({n_elements},), "
            f"got {sigma.shape}"
        )
    if np.any(sigma <= 0):
        raise ValueError(
            f"sigma must be strictly positive (S/m); {np.count_nonzero(sigma <= 0)} value(s) "
            f"are <= 0 (min {sigma.min():.3g})"
        )
    return sigma


def element_stiffness(mesh: EITMesh):
    """Geometric element matrices ∫_e ∇φ_i·∇φ_j (M, 3, 3) and their global (row, col) indices."""
    grads = shape_gradients(mesh)
    local = mesh.areas[:, None, None] * grads @ grads.transpose(0, 2, 1)
    rows = np.repeat(mesh.triangles, 3, axis=1).ravel()
    cols = np.tile(mesh.triangles, 3).ravel()
    return local, rows, cols


def stiffness_matrix(mesh: EITMesh, sigma):
    """The P1 stiffness matrix K_ij = Σ_e σ_e ∫_e ∇φ_i·∇φ_j, sparse (N, N) (S)."""
    sigma = check_sigma(sigma, len(mesh.triangles))
    local, rows, cols = element_stiffness(mesh)
    n = len(mesh.nodes)
    return sp.csr_matrix(((sigma[:, None, None] * local).ravel(), (rows, cols)), shape=(n, n))


@dataclass(frozen=True)
class Solution:
    """Fields of a CEM solve for P current patterns.

    Attributes
    ----------
    u : ndarray, shape (N, P)
        Nodal potentials (V).
    U : ndarray, shape (L, P)
        Electrode potentials (V), grounded so that each column sums to zero.
    """

    u: np.ndarray
    U: np.ndarray


class ForwardModel:
    """CEM forward solver on a fixed mesh with fixed contact impedances.

    Parameters
    ----------
    mesh : EITMesh
        The mesh and its electrodes.
    z : float or array_like, shape (L,)
        Contact impedance of each electrode (Ω·m², per unit depth in 2-D), default 0.01.
    """

    def __init__(self, mesh: EITMesh, z=0.01):
        self.mesh = mesh
        L = mesh.n_electrodes
        z = as_array(z, "z")
        z = np.full(L, float(z)) if z.ndim == 0 else z
        if z.shape != (L,):
            raise ValueError(
                f"z must be a scalar or have one value per electrode ({L},), got {z.shape}"
            )
        self.z = check_positive(z, "z")
        self._grads = shape_gradients(mesh)
        self._local, self._rows, self._cols = element_stiffness(mesh)
        self._electrode_block = self._assemble_electrodes()

    @property
    def n_electrodes(self):
        """Number of electrodes L."""
        return self.mesh.n_electrodes

    @property
    def n_elements(self):
        """Number of triangles M (the length of σ)."""
        return len(self.mesh.triangles)

    def _assemble_electrodes(self):
        """The σ-independent blocks B, C, D and the ground row, as COO triplets."""
        N, L = len(self.mesh.nodes), self.n_electrodes
        rows, cols, vals = [], [], []
        for ell, edges in enumerate(self.mesh.electrodes):
            length = np.linalg.norm(
                self.mesh.nodes[edges[:, 1]] - self.mesh.nodes[edges[:, 0]], axis=1
            )
            a, b = edges[:, 0], edges[:, 1]
            w = length / self.z[ell]
            # ∫ φ_i φ_j over an edge: length/6 * [[2, 1], [1, 2]]
            for i, j, c in ((a, a, 2), (b, b, 2), (a, b, 1), (b, a, 1)):
                rows += [i]
                cols += [j]
                vals += [w * c / 6]
            # ∫ φ_i over an edge: length/2
            for i in (a, b):
                rows += [i, np.full_like(i, N + ell)]
                cols += [np.full_like(i, N + ell), i]
                vals += [-w / 2, -w / 2]
            rows += [[N + ell]]
            cols += [[N + ell]]
            vals += [[w.sum()]]
        ground = N + np.arange(L)
        rows += [ground, np.full(L, N + L)]
        cols += [np.full(L, N + L), ground]
        vals += [np.ones(L), np.ones(L)]
        return tuple(np.concatenate(x) for x in (rows, cols, vals))

    def system_matrix(self, sigma):
        """The CEM block matrix (sparse CSC, size N + L + 1) for conductivity ``sigma`` (S/m)."""
        sigma = check_sigma(sigma, self.n_elements)
        rows, cols, vals = self._electrode_block
        n = len(self.mesh.nodes) + self.n_electrodes + 1
        data = np.concatenate([(sigma[:, None, None] * self._local).ravel(), vals])
        index = (np.concatenate([self._rows, rows]), np.concatenate([self._cols, cols]))
        return sp.csc_matrix((data, index), shape=(n, n))

    def check_currents(self, currents, name="currents"):
        """Validate current patterns: shape (L,) or (L, P) (A), each column summing to zero."""
        currents = self._check_patterns(currents, name)
        if not _sums_to_zero(currents):
            raise ValueError(
                f"each column of {name} must sum to zero (Kirchhoff's law: the electrodes "
                "inject and drain the same total current)"
            )
        return currents

    def check_measurements(self, measurements):
        """Validate measurement patterns (L, Q): columns sum to zero (ground-independent)."""
        measurements = self._check_patterns(measurements, "measurements")
        if not _sums_to_zero(measurements):
            raise ValueError(
                "each measurement pattern column must sum to zero so that the voltage does not "
                "depend on the ground; use e.g. patterns.adjacent_differences or "
                "patterns.electrode_voltages"
            )
        return measurements

    def _check_patterns(self, value, name):
        value = as_array(value, name)
        value = value[:, None] if value.ndim == 1 else value
        L = self.n_electrodes
        if value.ndim != 2 or value.shape[0] != L:
            raise ValueError(f"{name} must have shape ({L},) or ({L}, P), got {value.shape}")
        return value

    def solve(self, sigma, currents, lu=None):
        """Solve the CEM for one or more current patterns.

        Parameters
        ----------
        sigma : float or array_like, shape (M,)
            Conductivity per element (S/m), strictly positive.
        currents : array_like, shape (L,) or (L, P)
            Electrode currents (A); each pattern sums to zero.
        lu : scipy SuperLU, optional
            A factorisation of :meth:`system_matrix` for this ``sigma``, to reuse.

        Returns
        -------
        Solution
        """
        currents = self.check_currents(currents)
        N, L = len(self.mesh.nodes), self.n_electrodes
        lu = splu(self.system_matrix(sigma)) if lu is None else lu
        rhs = np.zeros((N + L + 1, currents.shape[1]))
        rhs[N : N + L] = currents
        x = lu.solve(rhs)
        return Solution(u=x[:N], U=x[N : N + L])

    def element_gradients(self, u):
        """Gradient of P1 fields on every element: u (N, P) -> (M, P, 2) (V/m)."""
        return np.einsum("mkd,mkp->mpd", self._grads, u[self.mesh.triangles])

    def forward(self, sigma, currents, measurements, jacobian=False):
        """Measured voltages, and optionally their Jacobian with respect to σ.

        Parameters
        ----------
        sigma : float or array_like, shape (M,)
            Conductivity per element (S/m).
        currents : array_like, shape (L, P)
            Current patterns (A), each column summing to zero.
        measurements : array_like, shape (L, Q)
            Measurement patterns: voltage q of pattern p is ``measurements[:, q] @ U[:, p]``;
            columns sum to zero so that the ground does not matter.
        jacobian : bool
            Also return ∂V/∂σ, shape (P·Q, M) (V·m/S).

        Returns
        -------
        V : ndarray, shape (P·Q,)
            Voltages (V), ordered pattern by pattern.
        J : ndarray, shape (P·Q, M)
            Only when ``jacobian`` is True.
        """
        currents = self.check_currents(currents)
        measurements = self.check_measurements(measurements)
        sigma = check_sigma(sigma, self.n_elements)
        lu = splu(self.system_matrix(sigma))
        injected = self.solve(sigma, currents, lu=lu)
        V = (measurements.T @ injected.U).T.ravel()
        if not jacobian:
            return V
        # Reciprocity: the sensitivity of m·U to σ_e is −∫_e ∇u(I)·∇u(m), where u(m) is the
        # field that the measurement pattern m would drive as a current pattern.
        adjoint = self.solve(sigma, measurements, lu=lu)
        gi = self.element_gradients(injected.u)
        gm = self.element_gradients(adjoint.u)
        J = -np.einsum("mpd,mqd,m->pqm", gi, gm, self.mesh.areas, optimize=True)
        return V, J.reshape(-1, self.n_elements)


def _sums_to_zero(patterns):
    scale = np.abs(patterns).max(axis=0) + np.finfo(float).tiny
    return bool(np.all(np.abs(patterns.sum(axis=0)) <= 1e-9 * scale))
