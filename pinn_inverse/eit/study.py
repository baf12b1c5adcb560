"""CNN + PINN as a sweep runner: Table II of the paper on independent test phantoms, scored.

``pinn-inverse sweep`` calls :func:`run` under the built-in runner name ``cnn_pinn``::

    runner: cnn_pinn
    grid: {backend: [tensorflow, pytorch], case: [circle, two_circles, circle_triangle]}
    seeds: [0, 1, 2]

``benchmarks/eit_cnn_pinn.py`` runs the paper's Table II through it. One cell:

1. stage 1, the U-Net of a preset of :data:`~pinn_inverse.eit.cnn_pinn.UNET_PRESETS` (or the
   ``"quick"`` one of :data:`QUICK_UNET`), trained on the preset's dataset or taken from the
   cache, which keys it by its configuration, dataset and seed;
2. ``n_phantoms`` phantoms of one case drawn from a stream of their own (seeded by
   ``(TEST_STREAM, seed)``, not the dataset's), their data simulated on a finer mesh than the
   training data's (h = 0.04 against 0.06: no inverse crime) with noise at ``snr_db`` relative
   to the change from the homogeneous disk: ΔV under the paper's current pattern g (stage 1's
   input) and the adjacent-injection voltages of NOSER and TV;
3. per phantom, CNN + PINN (U from stage 1), the oracle PINN (the true U) and difference NOSER
   and TV (on a coarser mesh, h = 0.08), with the library's defaults: nothing is tuned on
   the test phantoms;
4. SSIM (data range 5 S/m), CC and RIE of each on the pixels inside both the image's disk and
   the reconstruction mesh, averaged over the phantoms.
"""

import fcntl
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..backend import backend_name, set_backend
from ..validation import check_choice, check_int, check_positive
from . import patterns
from .dataset import add_noise
from .fem import ForwardModel
from .image import ImageGrid
from .mesh import disk_mesh
from .phantoms import KINDS, random_phantom

METHODS = ("cnn_pinn", "oracle", "noser", "tv")
"""The methods of a cell's result: CNN + PINN, the oracle PINN, difference NOSER and TV."""

SCORES = ("ssim", "cc", "rie")

TEST_STREAM = 2025
"""First word of the test phantoms' seed, ``(TEST_STREAM, seed)``: a stream apart from the
training dataset's, which is seeded by ``(dataset seed, split, shard)``."""

DEFAULT_CACHE = "~/.cache/pinn_inverse/eit"

QUICK_UNET = {
    "dataset": {"n": 48, "n_test": 8, "image_size": 16, "h": 0.1},
    "config": {"base_channels": 4, "depth": 2, "epochs": 2, "batch_size": 16, "patience": 0},
}
"""Stage 1 at test size: 48 samples of 16 × 16 on a coarse mesh, a small U-Net, 2 epochs."""

MESHES = {"quick": (0.06, 0.1), "full": (0.04, 0.08)}
"""Edge lengths (m on the unit disk) of the data mesh and NOSER/TV's reconstruction mesh."""


def stage_one(unet="cpu", seed=0, cache=DEFAULT_CACHE, progress=False):
    """The trained stage 1 of a preset, with its dataset (made or read from the cache).

    Parameters
    ----------
    unet : {"cpu", "paper", "quick"}
        The preset: :data:`~pinn_inverse.eit.cnn_pinn.UNET_PRESETS` or :data:`QUICK_UNET`.
    seed : int
        Seed of the U-Net's initial weights and minibatches (the dataset's is its default, 0).
    cache : str or Path or None
        Root of the dataset cache; the U-Net is cached in its ``unet`` folder (``None``: the
        dataset in the default folder, the U-Net not cached).

    Returns
    -------
    (UNetStage, EITDataset, float)
        The stage, its dataset and the seconds it took to make or load both.
    """
    from .cnn_pinn import UNET_PRESETS, UNetConfig, train_unet
    from .dataset import make_dataset

    presets = {**UNET_PRESETS, "quick": QUICK_UNET}
    preset = presets[check_choice(unet, "unet", presets)]
    config = preset["config"]
    config = config if isinstance(config, UNetConfig) else UNetConfig(**config)
    seed = check_int(seed, "seed", minimum=0)
    start = time.perf_counter()
    folder = Path(DEFAULT_CACHE if cache is None else cache).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    workers = 1 if unet == "quick" else None
    # one process at a time makes a stage: sweep cells of other cases share it, and two
    # trainings of one stage would share its checkpoint folder
    with open(folder / f"stage1_{unet}_{seed}_{backend_name()}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        dataset = make_dataset(
            **preset["dataset"], cache_dir=folder, workers=workers, progress=progress
        )
        stage = train_unet(
            dataset,
            config,
            seed=seed,
            cache=None if cache is None else folder / "unet",
            progress=progress,
        )
    return stage, dataset, time.perf_counter() - start


@dataclass
class Setup:
    """Meshes, patterns and grids shared by the test phantoms of one stage 1.

    ``fine`` makes the data; ``coarse`` is NOSER and TV's reconstruction mesh; ``mesh`` is
    stage 1's (the dataset's), whose pixel mask ``mesh_mask`` is the PINN's domain; ``mask``
    is the pixels scored, inside both that mask and the coarse mesh.
    """

    fine: ForwardModel
    coarse: ForwardModel
    mesh: object
    mesh_mask: np.ndarray
    size: int
    g: np.ndarray
    adjacent: np.ndarray
    differences: np.ndarray
    reconstructor: object
    data_grid: ImageGrid
    grid: ImageGrid
    mask: np.ndarray
    dV_ref: np.ndarray
    v_ref: np.ndarray

    @classmethod
    def build(cls, stage, h_data, h_rec):
        from .baselines import Reconstructor

        config = stage.record["dataset"]
        L, size = config["n_electrodes"], config["image_size"]
        fine = ForwardModel(disk_mesh(L, h=h_data), z=config["z"])
        coarse = ForwardModel(disk_mesh(L, h=h_rec), z=config["z"])
        g = patterns.trigonometric_pattern(L)
        adjacent, differences = patterns.adjacent_injection(L), patterns.adjacent_differences(L)
        grid = ImageGrid(coarse.mesh, size)
        return cls(
            fine=fine,
            coarse=coarse,
            mesh=disk_mesh(L, h=config["h"]),
            mesh_mask=stage.mask,
            size=size,
            g=g,
            adjacent=adjacent,
            differences=differences,
            reconstructor=Reconstructor(coarse, adjacent, differences),
            data_grid=ImageGrid(fine.mesh, size),
            grid=grid,
            mask=stage.mask & grid.mask,
            dV_ref=fine.forward(1.0, g, differences),
            v_ref=fine.forward(1.0, adjacent, differences),
        )

    def simulate(self, phantom, snr_db, rng):
        """One phantom's noisy data and truth: ``dV`` (L,) under g and ``v`` (L²,) under
        adjacent injection (V), the true U image (V) on stage 1's mask and σ image (S/m)."""
        sigma = phantom.sigma(self.fine.mesh.centroids)
        solution = self.fine.solve(sigma, self.g)
        dV = self.differences.T @ solution.U[:, 0]
        v = self.fine.forward(sigma, self.adjacent, self.differences)
        G = self.size
        truth = np.where(self.mask, phantom.sigma(self.grid.points).reshape(G, G), 0.0)
        U = self.data_grid.nodal(solution.u[:, 0])
        return {
            "dV": add_noise(dV, snr_db, rng, reference=self.dV_ref),
            "v": add_noise(v, snr_db, rng, reference=self.v_ref),
            "U": np.where(self.mesh_mask, U, 0.0),
            "sigma": truth,
            "sigma_fine": self.data_grid.elementwise(sigma),
        }


def reconstruct(setup, stage, case, methods, preset, iterations, seed):
    """Every method's σ image (S/m) on one phantom's data, and the seconds each took.

    ``methods`` are names of :data:`METHODS`; ``case`` is :meth:`Setup.simulate`'s dict.
    Returns ``{method: (image (G, G), seconds)}`` and the trained
    :class:`~pinn_inverse.eit.cnn_pinn.CNNPINN` problems, ``{method: problem}``, of
    ``"cnn_pinn"`` and ``"oracle"``.
    """
    images, problems = {}, {}
    rec, grid = setup.reconstructor, setup.grid
    baselines = {
        "noser": lambda: 1 + rec.noser_difference(setup.v_ref, case["v"]),
        "tv": lambda: 1 + rec.tv_difference(setup.v_ref, case["v"]),
    }
    for method in methods:
        start = time.perf_counter()
        if method in baselines:
            image = grid.elementwise(baselines[method]())
        else:
            from .cnn_pinn import cnn_pinn

            oracle = method == "oracle"
            problem = cnn_pinn(
                None if oracle else case["dV"],
                stage,
                U=case["U"] if oracle else None,
                oracle=oracle,
                mesh=setup.mesh,
                preset=preset,
                seed=seed,
            )
            problem.train(iterations=iterations, progress=False)
            image, problems[method] = problem.predict(), problem
        images[method] = (image, time.perf_counter() - start)
    return images, problems


def run(
    seed=0,
    case="circle",
    n_phantoms=10,
    unet="cpu",
    iterations=None,
    snr_db=20.0,
    backend=None,
    quick=False,
    cache=DEFAULT_CACHE,
):
    """Stage 1 once, then CNN + PINN, the oracle PINN, NOSER and TV on test phantoms, scored.

    Parameters
    ----------
    seed : int
        Seed of stage 1's weights, of the test phantoms and their noise, and of the PINN's
        initial weights.
    case : {"circle", "two_circles", "circle_triangle"}
        The phantoms' kind (the paper's cases 1, 2, 3).
    n_phantoms : int
        Test phantoms drawn.
    unet : {"cpu", "paper", "quick"}
        Stage 1's preset (:func:`stage_one`).
    iterations : int, optional
        The σ-PINN's Adam steps (default: the ``"default"`` preset's, or its quick 300).
    snr_db : float
        Noise of the test data (dB, relative to the change from the homogeneous disk).
    backend : {"tensorflow", "pytorch"}, optional
        The DeepXDE backend, set before DeepXDE is imported; default: the active one.
    quick : bool
        Test sizes: the ``"quick"`` U-Net, the σ-PINN's quick preset, coarser meshes
        (data h = 0.06, reconstruction h = 0.1).
    cache : str
        Root folder of the dataset and U-Net caches.

    Returns
    -------
    dict
        ``<method>_<score>_mean`` and ``_std`` for the methods of :data:`METHODS` and the
        scores ``ssim``, ``cc``, ``rie``; ``unet_rel_l2`` (stage 1's U on the test phantoms
        against the true U, mean), ``unet_test_rel_l2`` (on the dataset's test split),
        ``unet_train_s`` (when trained, in this cell or before it was cached),
        ``stage1_s`` (this cell's: training or loading), ``<method>_s`` (seconds per
        phantom), ``cnn_pinn_step_s`` and ``oracle_step_s`` (s per Adam step),
        ``image_size``, ``n_phantoms`` and ``run_s``.
    """
    if backend is not None:
        set_backend(backend)
    begin = time.perf_counter()
    case = check_choice(case, "case", KINDS)
    n_phantoms = check_int(n_phantoms, "n_phantoms", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    snr_db = float(check_positive(snr_db, "snr_db"))
    if iterations is not None:
        iterations = check_int(iterations, "iterations", minimum=1)
    if not isinstance(quick, bool):
        raise TypeError(f"quick must be True or False, got {quick!r}")
    # imported here: DeepXDE starts its backend on import, and a sweep checks this
    # function's signature in the driver before any cell runs
    from .. import metrics
    from .cnn_pinn import SIGMA_PRESETS
    from .pipeline import score

    preset = SIGMA_PRESETS["default"]
    preset = preset.quick() if quick else preset
    stage, dataset, stage1_s = stage_one("quick" if quick else unet, seed, cache)
    setup = Setup.build(stage, *MESHES["quick" if quick else "full"])
    rng = np.random.default_rng([TEST_STREAM, seed])
    rows, seconds, steps, unet_errors = [], {m: [] for m in METHODS}, {}, []
    for _ in range(n_phantoms):
        data = setup.simulate(random_phantom(case, rng), snr_db, rng)
        images, problems = reconstruct(setup, stage, data, METHODS, preset, iterations, seed)
        unet_errors.append(metrics.rel_l2(problems["cnn_pinn"].U, data["U"], setup.mesh_mask))
        rows.append({m: score(images[m][0], data["sigma"], setup.mask) for m in METHODS})
        for m in METHODS:
            seconds[m].append(images[m][1])
        for m, problem in problems.items():
            steps.setdefault(m, []).append(problem.timings["adam_step_s"])
    out = {}
    for m in METHODS:
        for s in SCORES:
            values = [row[m][s] for row in rows]
            out[f"{m}_{s}_mean"], out[f"{m}_{s}_std"] = (
                float(np.mean(values)),
                float(np.std(values)),
            )
    test = stage.evaluate(dataset.test)["rel_l2"] if dataset.test else None
    out.update(
        unet_rel_l2=float(np.mean(unet_errors)),
        unet_test_rel_l2=test,
        unet_train_s=stage.record["train_s"],
        stage1_s=stage1_s,
        **{f"{m}_s": float(np.mean(seconds[m])) for m in METHODS},
        **{f"{m}_step_s": float(np.mean(steps[m])) for m in steps},
        image_size=setup.size,
        n_phantoms=n_phantoms,
        run_s=time.perf_counter() - begin,
    )
    return out
