"""The Laplace-Beltrami operator on a triangulated surface.

Two discretisations, both returned as an ``(n, n)`` CSR matrix ``L`` with ``(L u)_i`` the
Laplacian of the nodal field ``u`` at node ``i`` (units 1/m² when vertices are in m):

- ``"fdm"``: the neighbour-averaging finite difference of EAND-ARN eq. (15) (Yao & Yang 2016),
  ``Δu_i = 4 / (r_i n_i) Σ_j (u_j − u_i) / d_ij`` over the ``n_i`` edge neighbours ``j`` at
  distances ``d_ij``, with ``r_i`` their mean distance;
- ``"cotangent"``: the cotangent weights divided by the lumped (barycentric) node area,
  ``Δu_i = 1 / (2 A_i) Σ_j (cot α_ij + cot β_ij)(u_j − u_i)``.

Both vanish on constants (every row sums to zero) and are negative semi-definite up to a
positive diagonal scaling, so their eigenvalues are real and ``≤ 0``.
"""

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from ..validation import as_array, as_points, check_choice, check_int

METHODS = ("fdm", "cotangent")


def mesh_edges(faces):
    """The unique undirected edges ``(i, j)``, ``i < j``, of a triangle mesh, shape ``(E, 2)``."""
    faces = as_array(faces, "faces", shape=(None, 3), dtype=np.int64)
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    return np.unique(np.sort(edges, axis=1), axis=0)


def mesh_laplacian(vertices, faces, method="fdm"):
    """Sparse Laplace-Beltrami matrix of a triangle mesh.

    Parameters
    ----------
    vertices : array_like, shape (n, 3)
        Node positions (m).
    faces : array_like of int, shape (m, 3)
        Triangles as 0-based node indices.
    method : {"fdm", "cotangent"}
        ``"fdm"`` is EAND-ARN eq. (15); ``"cotangent"`` the cotangent Laplacian with
        barycentric lumped areas.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n, n)
        ``L`` with ``L @ u`` the surface Laplacian of ``u`` at the nodes (1/m² times the unit
        of ``u``).
    """
    vertices, faces = _mesh(vertices, faces)
    check_choice(method, "method", METHODS)
    if method == "fdm":
        weights = _fdm_weights(vertices, faces)
    else:
        weights = _cotangent_weights(vertices, faces)
    return (weights - sp.diags(np.asarray(weights.sum(axis=1)).ravel())).tocsr()


def _mesh(vertices, faces):
    """Checked vertices (n, 3) and 0-based faces (m, 3) into them."""
    vertices = as_points(vertices, "vertices")
    faces = as_array(faces, "faces", shape=(None, 3), dtype=np.int64)
    if faces.size and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise ValueError(
            f"faces index nodes {faces.min()}..{faces.max()} but there are {len(vertices)} "
            "vertices; faces must be 0-based indices into vertices"
        )
    return vertices, faces


def _fdm_weights(vertices, faces):
    # eq. (15): w_ij = 4 / (r_i n_i d_ij), r_i the mean neighbour distance, n_i the valence
    n = len(vertices)
    edges = mesh_edges(faces)
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    d = np.linalg.norm(vertices[rows] - vertices[cols], axis=1)
    valence = np.bincount(rows, minlength=n)
    if np.any(valence == 0):
        raise ValueError(f"{np.count_nonzero(valence == 0)} vertices belong to no triangle")
    r = np.bincount(rows, weights=d, minlength=n) / valence
    w = 4.0 / (r[rows] * valence[rows] * d)
    return sp.csr_matrix((w, (rows, cols)), shape=(n, n))


def _cotangent_weights(vertices, faces):
    stiffness, node_area = cotangent_stiffness(vertices, faces)
    return sp.diags(1.0 / node_area) @ stiffness


def cotangent_stiffness(vertices, faces):
    """The cotangent weights ``W`` (``W_ij = (cot α_ij + cot β_ij) / 2`` on edges, CSR) and the
    lumped (barycentric) node areas ``A`` (m²): ``A⁻¹ (W − diag(W 1))`` is the ``"cotangent"``
    Laplacian."""
    n = len(vertices)
    rows, cols, w = [], [], []
    for k in range(3):
        i, j, o = faces[:, k], faces[:, (k + 1) % 3], faces[:, (k + 2) % 3]
        a = vertices[i] - vertices[o]
        b = vertices[j] - vertices[o]
        cot = np.einsum("ij,ij->i", a, b) / np.linalg.norm(np.cross(a, b), axis=1)
        rows += [i, j]
        cols += [j, i]
        w += [0.5 * cot, 0.5 * cot]
    cross = np.cross(
        vertices[faces[:, 1]] - vertices[faces[:, 0]], vertices[faces[:, 2]] - vertices[faces[:, 0]]
    )
    area = 0.5 * np.linalg.norm(cross, axis=1)
    node_area = np.bincount(faces.ravel(), weights=np.repeat(area / 3.0, 3), minlength=n)
    if np.any(node_area <= 0):
        raise ValueError(f"{np.count_nonzero(node_area <= 0)} vertices have no surrounding area")
    stiffness = sp.csr_matrix(
        (np.concatenate(w), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    return stiffness, node_area


def laplacian_eigenfunctions(vertices, faces, k):
    """The first ``k`` non-constant eigenfunctions of the Laplace-Beltrami operator.

    The generalised eigenproblem ``K φ = λ A φ`` of the cotangent stiffness
    ``K = diag(W 1) − W`` and the lumped node areas ``A`` (:func:`cotangent_stiffness`;
    −Δφ = λφ weakly, with natural boundary conditions on an open surface), solved densely.
    They are coordinates intrinsic to the surface: two nodes close in space but far apart
    along it (the two sides of a ventricular wall) get different values, which positions do
    not give them. Δ-PINNs (Sahli Costabal, Pezzuto & Perdikaris 2024) feed them to a network
    in place of the positions for that reason.

    Parameters
    ----------
    vertices : array_like, shape (n, 3)
    faces : array_like of int, shape (m, 3)
    k : int
        How many, 1 ≤ k < n.

    Returns
    -------
    eigenvalues : ndarray, shape (k,)
        λ₁ ≤ … ≤ λ_k (1/m²), the first (constant, λ₀ = 0) eigenfunction left out.
    eigenfunctions : ndarray, shape (n, k)
        Each scaled to ``φᵀ A φ = Σ A`` (an area-weighted root mean square of 1), its sign
        set so that its largest-magnitude entry is positive.
    """
    vertices, faces = _mesh(vertices, faces)
    n = len(vertices)
    check_int(k, "k", minimum=1)
    if k >= n:
        raise ValueError(f"k = {k} eigenfunctions need a mesh of more than k nodes, got {n}")
    W, A = cotangent_stiffness(vertices, faces)
    K = (sp.diags(np.asarray(W.sum(axis=1)).ravel()) - W).toarray()
    values, vectors = scipy.linalg.eigh(K, np.diag(A), subset_by_index=[1, k])
    vectors *= np.sqrt(A.sum())  # eigh gives φᵀ A φ = 1
    largest = vectors[np.abs(vectors).argmax(axis=0), np.arange(k)]
    return values, vectors * np.sign(largest)
