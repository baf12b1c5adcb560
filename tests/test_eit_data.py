"""EIT images, phantoms and the cached, resumable, parallel dataset."""

import numpy as np
import pytest

from pinn_inverse.eit import patterns
from pinn_inverse.eit.dataset import add_noise, make_dataset
from pinn_inverse.eit.fem import ForwardModel
from pinn_inverse.eit.image import ImageGrid
from pinn_inverse.eit.mesh import disk_mesh
from pinn_inverse.eit.phantoms import KINDS, Circle, Phantom, Triangle, random_phantom


@pytest.fixture(scope="module")
def mesh():
    return disk_mesh(16, h=0.08)


def test_image_of_linear_field_is_exact(mesh):
    grid = ImageGrid(mesh, 32)
    u = 2.0 * mesh.nodes[:, 0] - mesh.nodes[:, 1]
    image = grid.nodal(u)
    x, y = grid.points.T
    expected = np.where(grid.mask.ravel(), 2.0 * x - y, 0.0).reshape(32, 32)
    np.testing.assert_allclose(image, expected, atol=1e-12)
    # row 0 is the top of the disk (y = +R), column 0 its left side
    assert y[0] > 0 and x[0] < 0
    assert grid.mask.mean() == pytest.approx(np.pi / 4, abs=0.03)


def test_element_image_and_shapes(mesh):
    grid = ImageGrid(mesh, 16)
    values = np.arange(len(mesh.triangles), dtype=float)
    image = grid.elementwise(values)
    assert image.shape == (16, 16)
    assert np.all(image[~grid.mask] == 0)
    assert grid.nodal(np.ones((len(mesh.nodes), 3))).shape == (3, 16, 16)
    with pytest.raises(ValueError, match="one per node"):
        grid.nodal(np.ones(5))


@pytest.mark.parametrize("kind", KINDS)
def test_random_phantoms_follow_the_paper(kind):
    rng = np.random.default_rng(0)
    for _ in range(50):
        phantom = random_phantom(kind, rng)
        assert phantom.background == 1.0
        assert len(phantom.inclusions) == (1 if kind == "circle" else 2)
        for inc in phantom.inclusions:
            assert 2.0 <= inc.sigma <= 6.0
            assert np.hypot(*inc.centre) + inc.bounding_radius <= 0.95 + 1e-12
        if len(phantom.inclusions) == 2:
            a, b = phantom.inclusions
            gap = np.hypot(*np.subtract(a.centre, b.centre)) - a.radius - b.radius
            assert gap > 0.05
    again = random_phantom(kind, np.random.default_rng(0))
    assert again == random_phantom(kind, np.random.default_rng(0))
    with pytest.raises(ValueError, match="accepted"):
        random_phantom("square", rng)


def test_phantom_sigma_at_points():
    phantom = Phantom((Circle((0.5, 0.0), 0.2, 3.0), Triangle((-0.5, 0.0), 0.2, 0.0, 5.0)))
    values = phantom.sigma([[0.5, 0.0], [-0.5, 0.0], [0.0, 0.0], [0.5, 0.25]])
    np.testing.assert_allclose(values, [3.0, 5.0, 1.0, 1.0])


def test_add_noise_snr():
    rng = np.random.default_rng(0)
    clean = rng.standard_normal((200, 1000))
    noisy = add_noise(clean, 20.0, rng)
    snr = 10 * np.log10(np.sum(clean**2) / np.sum((noisy - clean) ** 2))
    assert snr == pytest.approx(20.0, abs=0.1)


KW = dict(n=12, n_test=4, image_size=16, h=0.1, shard_size=5, progress=False)


def test_dataset_shapes_and_physics(tmp_path):
    data = make_dataset(cache_dir=tmp_path, workers=1, **KW)
    assert data.train["dV"].shape == (11, 16) and data.val["U"].shape == (1, 16, 16)
    assert data.test["sigma"].shape == (4, 16, 16)
    assert set(np.unique(data.train["kind"])) <= {0, 1, 2}
    assert np.all(data.train["sigma"][:, data.mask] >= 1.0)
    assert np.all(data.train["U"][:, ~data.mask] == 0)
    # the stored ΔV is what the forward model gives for the stored conductivity
    model = ForwardModel(disk_mesh(16, h=0.1), z=0.01)
    grid = ImageGrid(model.mesh, 16)
    v = model.forward(1.0, patterns.trigonometric_pattern(), patterns.adjacent_differences())
    np.testing.assert_allclose(data.dV_ref, v)
    np.testing.assert_allclose(data.dV_ref.sum(), 0.0, atol=1e-12)
    assert grid.mask.sum() == data.mask.sum()


def test_dataset_cache_resume_and_corruption(tmp_path):
    first = make_dataset(cache_dir=tmp_path, workers=1, **KW)
    folder = next(tmp_path.glob("eit_*"))
    shards = sorted(folder.glob("*.npz"))
    assert len(shards) == 4
    stamps = {p: p.stat().st_mtime_ns for p in shards}
    shards[1].unlink()  # an interrupted run: one shard never written
    shards[2].write_bytes(shards[2].read_bytes()[:100])  # a torn / corrupted shard
    with pytest.warns(UserWarning, match="regenerating"):
        second = make_dataset(cache_dir=tmp_path, workers=1, **KW)
    for name in ("dV", "U", "sigma"):
        np.testing.assert_array_equal(first.train[name], second.train[name])
        np.testing.assert_array_equal(first.test[name], second.test[name])
    assert shards[0].stat().st_mtime_ns == stamps[shards[0]]  # intact shards were reused


def test_dataset_parallel_matches_serial(tmp_path):
    serial = make_dataset(cache_dir=tmp_path / "a", workers=1, **KW)
    parallel = make_dataset(cache_dir=tmp_path / "b", workers=2, **KW)
    np.testing.assert_array_equal(serial.test["dV"], parallel.test["dV"])
    np.testing.assert_array_equal(serial.train["U"], parallel.train["U"])


def test_dataset_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="val_fraction"):
        make_dataset(n=10, val_fraction=1.5, cache_dir=tmp_path)
    with pytest.raises(TypeError, match="integer"):
        make_dataset(n=10.5, cache_dir=tmp_path)
