"""ECG geometry: readers, mesh checks with clear errors, the default geometry."""

import numpy as np
import pytest
import trimesh
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from test_ecg_aliev_panfilov import activation_times

from pinn_inverse.ecg.aliev_panfilov import aliev_panfilov, planar_wave_speed
from pinn_inverse.ecg.geometry import (
    MeshQualityWarning,
    Surface,
    cap_holes,
    check_nested,
    check_surface,
    enclosed_volume,
    load_default_geometry,
    load_ecgsim_geometry,
    read_pts_fac,
    read_surface,
    read_tri,
    subdivide,
    triangle_angles,
    winding_numbers,
)


def sphere(radius=1.0, subdivisions=2, centre=(0.0, 0.0, 0.0)):
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    return np.asarray(mesh.vertices) + centre, np.asarray(mesh.faces)


def test_default_geometry_has_the_paper_sizes():
    geometry = load_default_geometry()
    heart, torso = geometry.heart, geometry.torso
    assert heart.vertices.shape == (1094, 3) and heart.faces.shape == (2184, 3)
    assert torso.vertices.shape == (352, 3) and torso.faces.shape == (700, 3)
    # metres: a heart about 10 cm across inside a torso about 60 cm tall
    assert 0.06 < np.ptp(heart.vertices, axis=0).max() < 0.15
    assert 0.4 < np.ptp(torso.vertices, axis=0).max() < 0.8
    assert 0.1 < enclosed_volume(torso.vertices, torso.faces) / 0.0366 < 10


def test_enclosed_volume_and_winding_numbers_of_a_sphere():
    v, f = sphere(0.5, 3)
    assert enclosed_volume(v, f) == pytest.approx(4 / 3 * np.pi * 0.5**3, rel=0.01)
    w = winding_numbers([[0.1, 0.0, 0.2], [0.0, 0.9, 0.0]], Surface(v, f))
    assert np.allclose(w, [1.0, 0.0], atol=1e-9)


def test_readers_on_real_geometries(shared_data):
    tank = shared_data / "ecg" / "utah_tank"
    # the tank's heart .fac is 1-based and its torso .fac 0-based: both are detected
    heart = read_pts_fac(tank / "heart_closed.pts", tank / "heart_closed.fac", name="heart")
    torso = read_pts_fac(tank / "torso_closed.pts", tank / "torso_closed.fac", name="torso")
    assert (heart.n_nodes, len(heart.faces), torso.n_nodes, len(torso.faces)) == (
        337,
        670,
        284,
        564,
    )
    check_nested(heart, torso)
    ecgsim = shared_data / "ecg" / "ecgsim"
    with pytest.warns(MeshQualityWarning):
        heart = read_tri(ecgsim / "heart.tri", name="heart")
    torso = read_tri(ecgsim / "thorax.tri", name="thorax")
    assert (heart.n_nodes, torso.n_nodes) == (257, 300)
    check_nested(heart, torso)
    with pytest.raises(ValueError, match="inward"), pytest.warns(MeshQualityWarning):
        read_tri(ecgsim / "heart.tri", clockwise=False)


@pytest.mark.parametrize("suffix", [".stl", ".obj", ".ply", ".off"])
def test_trimesh_formats_round_trip(tmp_path, suffix):
    v, f = sphere(0.1)
    path = tmp_path / f"sphere{suffix}"
    trimesh.Trimesh(v, f, process=False).export(path)
    surface = read_surface(path, name="sphere")
    assert enclosed_volume(surface.vertices, surface.faces) == pytest.approx(
        enclosed_volume(v, f), rel=1e-5
    )


def test_pts_fac_index_base_is_detected_or_asked_for(tmp_path):
    v, f = sphere()
    np.savetxt(tmp_path / "s.pts", v * 1e3)
    np.savetxt(tmp_path / "s.fac", f + 1, fmt="%d")
    surface = read_pts_fac(tmp_path / "s.pts", tmp_path / "s.fac")
    assert np.allclose(surface.vertices, v)
    assert np.array_equal(surface.faces, f)


def test_bad_meshes_get_clear_errors():
    v, f = sphere()
    with pytest.raises(ValueError, match="not closed"):
        check_surface(v, f[1:])
    with pytest.raises(ValueError, match="inward"):
        check_surface(v, f[:, ::-1])
    flipped = f.copy()
    flipped[0] = flipped[0, ::-1]
    with pytest.raises(ValueError, match="consistently oriented"):
        check_surface(v, flipped)
    squashed = v.copy()
    squashed[f[0, 1]] = squashed[f[0, 0]]
    with pytest.raises(ValueError, match="degenerate"):
        check_surface(squashed, f)
    with pytest.raises(ValueError, match="NaN"):
        check_surface(np.where(np.arange(len(v))[:, None] == 0, np.nan, v), f)
    with pytest.raises(ValueError, match="0-based"):
        check_surface(v, f + 1)
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        check_surface(v[:, :2], f)


def test_heart_must_be_strictly_inside_the_torso():
    torso = check_surface(*sphere(2.0))
    check_nested(check_surface(*sphere(1.0)), torso)
    with pytest.raises(ValueError, match="outside the torso"):
        check_nested(check_surface(*sphere(1.0, centre=(1.5, 0.0, 0.0))), torso)
    with pytest.raises(ValueError, match="outside the torso"):
        check_nested(torso, check_surface(*sphere(1.0)))


def test_cap_holes_closes_an_open_sock():
    v, f = sphere(1.0, 3)
    keep = v[f].mean(axis=1)[:, 2] < 0.8
    used = np.unique(f[keep])
    renumber = np.full(len(v), -1)
    renumber[used] = np.arange(len(used))
    sock_v, sock_f = v[used], renumber[f[keep]]
    with pytest.raises(ValueError, match="not closed"):
        check_surface(sock_v, sock_f)
    closed, interpolation = cap_holes(sock_v, sock_f)
    assert closed.n_nodes == len(sock_v) + 1
    assert np.allclose(interpolation.sum(axis=1), 1.0)
    assert np.allclose(interpolation[: len(sock_v)].toarray(), np.eye(len(sock_v)))
    with pytest.raises(ValueError, match="already closed"):
        cap_holes(v, f)


def test_ambiguous_index_base_must_be_given(tmp_path):
    v, f = sphere(1.0, 1)
    # drop the highest node from use, so neither 0 nor n appears in the 1-based file
    np.savetxt(tmp_path / "s.pts", np.vstack([v, [[5.0, 5.0, 5.0]]]) * 1e3)
    np.savetxt(tmp_path / "s.fac", f + 1, fmt="%d")
    with pytest.raises(ValueError, match="index_base"):
        read_pts_fac(tmp_path / "s.pts", tmp_path / "s.fac")


def test_ecgitool_sock_is_open_and_capped(shared_data):
    from pinn_inverse.ecg.data import load_ecgitool

    data = load_ecgitool(shared_data / "ecg" / "utah_ecgitool" / "utah.mat")
    assert data.torso.n_nodes == 771 and data.ftm.shape == (192, 490)
    assert data.bspm.shape == (192, 87) and data.ep.shape == (490, 87)
    with pytest.raises(ValueError, match="not closed"):
        check_surface(data.sock_vertices, data.sock_faces, "sock")
    closed, interpolation = cap_holes(data.sock_vertices, data.sock_faces, "sock")
    assert closed.n_nodes == 491 and interpolation.shape == (491, 490)
    # the file's transfer matrix rows sum to about -1 (a physical one: +1), so its ep and
    # bspm have opposite polarity; benchmarks/ecg_utah.py accounts for it
    assert np.allclose(data.ftm.sum(axis=1), -1.0, atol=0.1)


def test_needle_triangles_are_warned_about(shared_data):
    with pytest.warns(MeshQualityWarning) as record:
        heart = read_tri(shared_data / "ecg" / "ecgsim" / "heart.tri", name="ECGSim heart")
    (message,) = [str(w.message) for w in record]
    assert "ECGSim heart has 16 badly shaped triangles" in message
    assert "173.8°" in message and "over 150°" in message
    assert np.count_nonzero(triangle_angles(heart.vertices, heart.faces).max(axis=1) > 150) == 16


def test_triangle_angles_sum_to_180_and_a_clean_sphere_gets_no_warning(recwarn):
    v, f = sphere()
    angles = triangle_angles(v, f)
    assert np.allclose(angles.sum(axis=1), 180.0)
    right = triangle_angles(np.array([[0.0, 0, 0], [1, 0, 0], [0, 2, 0]]), np.array([[0, 1, 2]]))
    assert np.allclose(right, [[90.0, np.degrees(np.arctan(2)), np.degrees(np.arctan(0.5))]])
    check_surface(v, f)
    assert not [w for w in recwarn if issubclass(w.category, MeshQualityWarning)]


def test_subdivide_keeps_the_surface_and_its_nodes():
    v, f = sphere(1.0, 1)
    surface = check_surface(v, f)
    twice = subdivide(surface, 2)
    assert len(twice.faces) == 16 * len(f) and twice.n_nodes == 642  # 42 -> 162 -> 642
    assert np.array_equal(twice.vertices[: len(v)], v)  # original nodes first, unchanged
    # flat subdivision: same enclosed volume and area, new nodes on the old triangles
    assert enclosed_volume(twice.vertices, twice.faces) == pytest.approx(
        enclosed_volume(v, f), rel=1e-12
    )
    assert np.allclose(winding_numbers(twice.vertices[len(v) :] * 0.999, surface), 1.0)

    # every new edge is half an old one (half-edges, and midsegments parallel to an edge)
    def edge_lengths(s):
        edges = np.unique(
            np.sort(
                np.concatenate([s.faces[:, [0, 1]], s.faces[:, [1, 2]], s.faces[:, [2, 0]]]), 1
            ),
            axis=0,
        )
        return np.sort(np.linalg.norm(np.subtract(*s.vertices[edges.T]), axis=1))

    assert np.allclose(edge_lengths(subdivide(surface, 1)), np.repeat(edge_lengths(surface) / 2, 4))
    assert subdivide(surface, 0) is surface
    with pytest.raises(TypeError, match="Surface"):
        subdivide(v, 1)
    with pytest.raises(ValueError, match="levels"):
        subdivide(surface, -1)


def test_ecgsim_geometry_loader(shared_data, tmp_path):
    with pytest.warns(MeshQualityWarning):
        geometry = load_ecgsim_geometry(shared_data / "ecg" / "ecgsim")
    assert (geometry.heart.n_nodes, geometry.torso.n_nodes) == (1022, 1194)
    with pytest.warns(MeshQualityWarning):
        native = load_ecgsim_geometry(shared_data / "ecg" / "ecgsim", 0)
    assert (native.heart.n_nodes, native.torso.n_nodes) == (257, 300)
    with pytest.raises(ValueError, match="heart.tri"):
        load_ecgsim_geometry(tmp_path)


def test_aliev_panfilov_waves_on_the_subdivided_ecgsim_heart(shared_data):
    # conduction speed from the apex, over graph distances 20-60 mm, relative to the planar
    # speed: graph paths are a few % longer than geodesics and the front's curvature slows it
    # by a few %, so a resolved wave gives 0.85-1.0; on the native 257-node heart (16 mm
    # edges for a ~1 mm front) the wave nearly fails
    speeds = []
    for level in range(3):
        with pytest.warns(MeshQualityWarning):
            heart = load_ecgsim_geometry(shared_data / "ecg" / "ecgsim", level, 0).heart
        apex = int(np.argmin(heart.vertices[:, 2]))
        sim = aliev_panfilov(heart, apex, duration=40.0, n_frames=201, pacing_radius=0.015)
        edges = np.concatenate(
            [heart.faces[:, [0, 1]], heart.faces[:, [1, 2]], heart.faces[:, [2, 0]]]
        )
        lengths = np.linalg.norm(np.subtract(*heart.vertices[edges.T]), axis=1)
        graph = csr_matrix((lengths, tuple(edges.T)), shape=(heart.n_nodes,) * 2)
        distance = dijkstra(graph, directed=False, indices=apex)
        times = activation_times(sim)
        band = (distance > 0.02) & (distance < 0.06) & np.isfinite(times)
        speeds.append(np.polyfit(times[band], distance[band], 1)[0] / planar_wave_speed())
    assert speeds[0] < 0.4 and speeds[0] < speeds[1] < speeds[2], speeds
    assert 0.85 < speeds[2] < 1.0, speeds
