"""Finite-element reference for the heart-to-torso problem: P2 tetrahedra on a TetGen mesh.

The problem is the one :func:`~pinn_inverse.ecg.bem.transfer_matrix` solves: ``Δφ = 0`` in
the homogeneous torso volume outside the heart, ``φ`` given on the heart surface and zero
flux ``∂φ/∂n = 0`` on the torso surface. Here it is solved in its weak form,
``∫ ∇φ · ∇v dV = 0`` for every test function ``v`` vanishing on the heart, with quadratic (P2)
tetrahedra (scikit-fem). TetGen (the ``tetgen`` package) meshes the volume without adding
nodes on either surface, so the FEM domain is exactly the BEM's polyhedron, and the torso
nodes are mesh nodes: no interpolation stands between the two solutions. Refining the
surfaces with :func:`~pinn_inverse.ecg.geometry.subdivide` refines the volume mesh on the
same geometry. The heart potential is a function of position, evaluated at the P2 nodes of
the heart's triangles, so the FEM solves the smooth field's problem, which the BEM's linear
interpolation of the same field at the heart nodes converges to.
"""

from dataclasses import dataclass

import numpy as np
import pyamg
import skfem
from skfem.helpers import dot, grad

from ..validation import as_array, check_positive
from .geometry import Geometry, triangle_areas, winding_numbers


@dataclass(frozen=True)
class VolumeMesh:
    """Tetrahedra filling the torso outside the heart.

    Attributes
    ----------
    mesh : skfem.MeshTet
        Nodes (m): the torso's nodes first, then the heart's, in their surfaces' order, then
        the volume's.
    heart_facets : ndarray of int
        Indices (into ``mesh.facets``) of the facets on the heart surface.
    n_torso : int
        Number of torso nodes (the first ``n_torso`` mesh nodes).
    """

    mesh: skfem.MeshTet
    heart_facets: np.ndarray
    n_torso: int


def volume_mesh(geometry, radius_edge_ratio=1.5):
    """Tetrahedral mesh of the volume between heart and torso, graded by the surfaces' meshes.

    Parameters
    ----------
    geometry : Geometry
        Heart and torso surfaces; their nodes and triangles are kept as they are (TetGen
        switch ``Y``), so the mesh's boundary is exactly the two surfaces.
    radius_edge_ratio : float
        TetGen's quality bound (switch ``q``; > 1): the largest circumradius-to-shortest-edge
        ratio of a tetrahedron away from the surfaces.

    Returns
    -------
    VolumeMesh
    """
    import tetgen

    if not isinstance(geometry, Geometry):
        raise TypeError(
            f"geometry must be a Geometry (see check_nested), got {type(geometry).__name__}"
        )
    radius_edge_ratio = float(check_positive(radius_edge_ratio, "radius_edge_ratio"))
    if radius_edge_ratio <= 1.0:
        raise ValueError(f"radius_edge_ratio must be > 1, got {radius_edge_ratio}")
    heart, torso = geometry.heart, geometry.torso
    nb = torso.n_nodes
    points = np.concatenate([torso.vertices, heart.vertices])
    faces = np.concatenate([torso.faces, heart.faces + nb]).astype(np.int32)
    generator = tetgen.TetGen(points, faces)
    generator.add_hole(_point_inside(heart))
    nodes, tets, *_ = generator.tetrahedralize(
        plc=True, quality=True, minratio=radius_edge_ratio, nobisect=True, quiet=True
    )
    if not np.array_equal(nodes[: len(points)], points):
        raise RuntimeError("TetGen moved or reordered the surface nodes; cannot use its mesh")
    mesh = skfem.MeshTet(np.ascontiguousarray(nodes.T), np.ascontiguousarray(tets.T))
    boundary = mesh.boundary_facets()
    on_heart = boundary[np.all(mesh.facets[:, boundary] >= nb, axis=0)]
    if len(on_heart) != len(heart.faces) or len(boundary) != len(faces):
        raise RuntimeError(
            f"TetGen's mesh has {len(boundary)} boundary triangles, {len(on_heart)} on the heart; "
            f"the surfaces have {len(faces)}, {len(heart.faces)} on the heart"
        )
    return VolumeMesh(mesh, on_heart, nb)


def _point_inside(surface):
    """A point just inside a closed surface: below the centroid of its largest triangle."""
    areas = triangle_areas(surface.vertices, surface.faces)
    a, b, c = surface.vertices[surface.faces[np.argmax(areas)]]
    normal = np.cross(b - a, c - a)
    point = (a + b + c) / 3 - 0.01 * np.sqrt(areas.max()) * normal / np.linalg.norm(normal)
    if winding_numbers(point[None], surface)[0] < 0.5:
        raise ValueError("could not find a point inside the heart surface to mark it as a hole")
    return point


def fem_torso_potentials(geometry, heart_potential, radius_edge_ratio=1.5, tol=1e-10):
    """Torso-node potentials for given heart-surface potentials, by P2 finite elements.

    Parameters
    ----------
    geometry : Geometry
        Heart and torso surfaces (checked, nested).
    heart_potential : callable
        ``heart_potential(points) -> values``: the heart-surface potential (V) at points of
        shape ``(n, 3)`` (m), as an array of shape ``(n,)`` or ``(n, k)`` for ``k`` fields.
    radius_edge_ratio : float
        TetGen's mesh-quality bound (see :func:`volume_mesh`).
    tol : float
        Relative residual at which the AMG-preconditioned conjugate gradients stop.

    Returns
    -------
    potentials : ndarray, shape (n_torso,) or (n_torso, k)
        The potential (V) at the torso nodes, one column per field.
    info : dict
        ``n_tets``, ``n_dofs`` and the largest relative residual ``residual``.
    """
    if not callable(heart_potential):
        raise TypeError(
            "heart_potential must be a function of positions (n, 3) in m returning potentials "
            f"in V, got {type(heart_potential).__name__}"
        )
    tol = float(check_positive(tol, "tol"))
    volume = volume_mesh(geometry, radius_edge_ratio)
    basis = skfem.Basis(volume.mesh, skfem.ElementTetP2())
    stiffness = _laplace.assemble(basis)
    dirichlet = basis.get_dofs(volume.heart_facets).flatten()
    locations = basis.doflocs[:, dirichlet].T
    values = np.asarray(heart_potential(locations), dtype=float)
    if values.ndim not in (1, 2) or len(values) != len(locations):
        raise ValueError(
            f"heart_potential(points) must return shape (n,) or (n, k) for n = {len(locations)} "
            f"points, got {values.shape}"
        )
    single = values.ndim == 1
    values = as_array(values.reshape(len(locations), -1), "heart_potential(points)")
    free = np.setdiff1d(np.arange(basis.N), dirichlet)
    inner = stiffness[free][:, free].tocsr()
    coupling = stiffness[free][:, dirichlet]
    solver = pyamg.smoothed_aggregation_solver(inner, symmetry="symmetric")
    torso_dofs = basis.nodal_dofs[0, : volume.n_torso]
    out = np.empty((volume.n_torso, values.shape[1]))
    residual = 0.0
    for k in range(values.shape[1]):
        x = np.zeros(basis.N)
        x[dirichlet] = values[:, k]
        rhs = -coupling @ values[:, k]
        x[free] = solver.solve(rhs, tol=tol, accel="cg", maxiter=500)
        residual = max(residual, float(np.linalg.norm(rhs - inner @ x[free]) / np.linalg.norm(rhs)))
        out[:, k] = x[torso_dofs]
    info = {"n_tets": int(volume.mesh.nelements), "n_dofs": int(basis.N), "residual": residual}
    return (out[:, 0] if single else out), info


@skfem.BilinearForm
def _laplace(u, v, _):
    return dot(grad(u), grad(v))
