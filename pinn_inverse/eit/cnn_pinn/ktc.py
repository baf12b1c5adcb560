"""CNN + PINN on the real KTC2023 tank (level 1): data, stage 1, stage 2, segmentation, score.

**Which pattern U is for.** The tank injects 76 patterns between its 16 odd electrodes
(1, 3, …, 31; ``Inj`` has rank 15, every zero-sum current on those 16) and measures 31
adjacent differences over all 32. The σ-PINN needs one U under one known current, and the
U-Net one ΔV vector under it. We take the paper's pattern g (Sec. II-A,
:func:`~pinn_inverse.eit.patterns.trigonometric_pattern` with L = 16) on the 16 injecting
electrodes, 0 on the others. It lies in the span of the injections, so by linearity its
voltages are a combination of the measured ones: with ``Inj c = g`` (least-norm c, which
averages the 76 − 15 redundant injections) the 31 differences under g are ``cᵀ V``, and the
32 adjacent differences the U-Net takes (:func:`~pinn_inverse.eit.patterns.adjacent_differences`)
follow from them exactly (:attr:`Tank.projection`, one (32, 2356) matrix). One of the KTC
injections itself (a single pair of electrodes) would drive a dipole-like potential whose
gradient falls off away from its two electrodes, and where ∇U is small eq. (1) says little
about σ.

**Difference data.** The tank's absolute voltages miss the 2-D CEM by 7.5 % (homogeneous
fit: rms 0.033 V), as much as the targets change them (rms 0.033–0.057 V). Stage 1 therefore
sees calibrated difference data, ``ΔV = ΔV_model(σ₀) + P (V_target − V_empty)``: the model's
voltages for the empty tank (σ₀ fitted to it) plus the measured change, so systematic model
errors cancel as in difference NOSER and TV. In simulation this is ``P V`` itself.

**Training phantoms** (:func:`tank_phantom`): one circle, two circles, or a circle and a
triangle (:func:`~pinn_inverse.eit.phantoms.random_phantom`, radius 0.1–0.3 R, R = 0.115 m)
in the background σ₀, each inclusion resistive or conductive with probability ½ (the targets
are plastic and metal objects in saline), its contrast log-uniform in [5, 20] (σ₀ · c or
σ₀ / c). Voltages are simulated for the 76 KTC injections on the organisers' mesh with their
contact impedances, and U under g on the same solve.

**Noise.** The empty tank was measured once, so its noise cannot be estimated from a repeat.
Every simulated sample gets white Gaussian noise on its 2356 voltages at 20 dB relative to
their change from the empty tank (:func:`~pinn_inverse.eit.dataset.add_noise`, the paper's
and the 16-electrode dataset's model), before the projection, as on the real data. A check,
not a choice: 61 independent combinations of the injections vanish (``Inj n = 0``), so
``nᵀ V`` is noise plus inconsistency; on the four targets' difference data its standard
deviation is 0.0012–0.0045 (data units, V) against a change of rms 0.033–0.057, i.e. the
real data sit at about 21–29 dB, a little cleaner than the training noise.

**Stage 2.** The σ-PINN trains on the predicted U with the ``"default"`` preset of
:data:`~pinn_inverse.eit.cnn_pinn.problem.PRESETS`, σ in units of σ₀, but with the hinge
weight ν = 0: the hinge max(0, 1 − σ) holds σ at or above the background, which no
resistive target satisfies; σ = exp(network) keeps it positive. The network is continuous, so
σ is evaluated directly at the challenge's 256 × 256 pixel centres.

**Segmentation and score** are the organisers' (:func:`pinn_inverse.eit.ktc.segment`,
:func:`~pinn_inverse.eit.ktc.ktc_score`), for CNN + PINN and for difference NOSER and TV
alike (:func:`pinn_inverse.eit.ktc.classical`).

**Validation.** The settings above (dataset size, U-Net, noise, preset) are fixed without the
targets. One setting is chosen on simulated validation phantoms (:func:`validate`): the
σ-PINN's Adam steps, the candidate with the best mean KTC score of CNN + PINN on phantoms
drawn from their own stream. The four real targets are then scored once with those settings;
no setting looks at their scores. The validation phantoms are simulated on the organisers'
mesh, the one the training data and NOSER/TV use: their scores are optimistic for every
method alike.
"""

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from ... import metrics
from ...io import load_arrays, save_arrays, save_figure, write_json
from ...training import data_hash
from ...validation import as_array, check_choice, check_int
from .. import ktc, patterns
from ..baselines import Reconstructor
from ..dataset import DatasetConfig, EITDataset, add_noise
from ..fem import ForwardModel
from ..image import ImageGrid
from ..phantoms import KINDS, Phantom, random_phantom
from ..plotting import plot_ktc
from .problem import PRESETS as SIGMA_PRESETS
from .problem import cnn_pinn
from .unet_stage import PRESETS as UNET_PRESETS
from .unet_stage import train_unet

SCORE_GRID = 256
"""Pixels per side of the challenge's images."""

CONTRAST = (5.0, 20.0)
"""Range of an inclusion's contrast c (σ₀ · c conductive, σ₀ / c resistive), log-uniform."""

VALIDATION_STREAM = 2023
"""First word of the validation phantoms' seed, apart from the training data's."""

METHODS = ("cnn_pinn", "noser", "tv")


@dataclass(frozen=True)
class TankConfig(DatasetConfig):
    """A :class:`~pinn_inverse.eit.dataset.DatasetConfig` for the KTC tank: ``h`` is the
    organisers' mesh's mean edge length (m), ``z`` their contact impedance (Ω·m²),
    ``sigma0`` the empty tank's fitted σ₀ (data units), ``currents`` the pattern g (mA),
    ``tank_sha256`` the mesh's and empty tank's data."""

    n_electrodes: int = 32
    sigma0: float = 1.0
    contrast: tuple = CONTRAST
    currents: tuple = ()
    tank_sha256: str = ""

    def pattern(self):
        """The current pattern U is under (for the U-Net's record) and its formula."""
        return (
            np.array(self.currents),
            "g = sin(2πj/16)/√(2π) on the KTC tank's injecting electrodes 2j − 1, j = 1..16",
        )


class Tank:
    """The KTC2023 tank: the organisers' mesh and patterns, the empty tank, σ₀ and g.

    Build it with :meth:`load`. ``model`` is the CEM on the organisers' mesh, ``inj`` (32, 76)
    and ``mpat`` (32, 31) the KTC patterns, ``uref`` (2356,) the empty tank's voltages,
    ``sigma0`` its homogeneous fit, ``g`` (32,) the pattern U is for, ``projection`` (32, 2356)
    the map from KTC voltages to the 32 adjacent differences under g.
    """

    def __init__(self, mesh, z, inj, mpat, uref, folder):
        self.folder = Path(folder)
        self.model = ForwardModel(mesh, z=z)
        self.mesh, self.z, self.inj, self.mpat, self.uref = mesh, z, inj, mpat, uref
        self.reconstructor = Reconstructor(self.model, inj, mpat)
        self.sigma0 = float(self.reconstructor.fit_homogeneous(uref))
        injecting = np.flatnonzero(np.abs(inj).sum(axis=1) > 0)
        self.g = np.zeros(mesh.n_electrodes)
        self.g[injecting] = patterns.trigonometric_pattern(len(injecting))[:, 0]
        c = np.linalg.lstsq(inj, self.g, rcond=None)[0]
        if np.abs(inj @ c - self.g).max() > 1e-9 * np.abs(self.g).max():
            raise ValueError("the pattern g is not a combination of the tank's injections")
        D = patterns.adjacent_differences(mesh.n_electrodes)
        T = np.linalg.lstsq(mpat, D, rcond=None)[0]  # D = Mpat T: Mpat spans the zero sums
        self.projection = np.kron(c[None, :], T.T)
        # the model's empty tank at σ₀, solved once: its KTC voltages (the noise reference of
        # every simulated sample) and its adjacent differences under g (stage 1's offset)
        self._reference = self.model.forward(self.sigma0, inj, mpat)
        self._empty = D.T @ self.model.solve(self.sigma0, self.g).U[:, 0]

    @classmethod
    def load(cls, folder):
        """The tank of the KTC2023 folder (``Mesh_sparse.mat``, ``ref.mat``)."""
        mesh, z = ktc.load_mesh(folder)
        return cls(mesh, z, *ktc.load_reference(folder), folder)

    def stage_input(self, uel, uref=None):
        """Stage 1's ΔV (32,) from KTC voltages (2356,): the model's empty tank plus the
        change from the empty tank's ``uref`` (default: the measured one), projected to g
        (see the module's docstring)."""
        uref = self.uref if uref is None else as_array(uref, "uref", shape=self.uref.shape)
        uel = as_array(uel, "uel", shape=self.uref.shape)
        return self._empty + self.projection @ (uel - uref)

    def simulate(self, phantom, snr_db, rng, grid):
        """Noisy KTC voltages (2356,) of a phantom, its U image under g on ``grid`` (V) and σ
        per element (data units)."""
        sigma = phantom.sigma(self.mesh.centroids)
        solution = self.model.solve(sigma, np.column_stack([self.inj, self.g]))
        uel = (self.mpat.T @ solution.U[:, :-1]).T.ravel()
        noisy = add_noise(uel, snr_db, rng, reference=self._reference)
        return noisy, grid.nodal(solution.u[:, -1]), sigma

    def reference_voltages(self):
        """The model's empty-tank voltages at σ₀ (2356,)."""
        return self._reference.copy()

    def config(self, n, image_size, snr_db, seed, n_test=None):
        """The :class:`TankConfig` of a training set."""
        corners = self.mesh.nodes[self.mesh.triangles]
        h = np.linalg.norm(corners - np.roll(corners, 1, axis=1), axis=2).mean()
        return TankConfig(
            n=check_int(n, "n", minimum=2),
            n_test=n // 10 if n_test is None else check_int(n_test, "n_test", minimum=0),
            image_size=check_int(image_size, "image_size", minimum=8),
            h=float(h),
            z=float(np.max(self.z)),
            snr_db=float(snr_db),
            seed=check_int(seed, "seed", minimum=0),
            sigma0=self.sigma0,
            currents=tuple(float(v) for v in self.g),
            tank_sha256=data_hash(self.mesh.nodes, self.mesh.triangles, self.uref, self.z),
        )


def tank_phantom(rng, sigma0, contrast=CONTRAST, radius=ktc.RADIUS):
    """A training phantom: 1–2 inclusions of :data:`~pinn_inverse.eit.phantoms.KINDS`, each
    resistive or conductive with probability ½, contrast log-uniform in ``contrast``, in the
    background ``sigma0``."""
    kind = KINDS[int(rng.integers(len(KINDS)))]
    shapes = random_phantom(kind, rng, radius=radius).inclusions
    inclusions = []
    for shape in shapes:
        c = np.exp(rng.uniform(*np.log(contrast)))
        inclusions.append(replace(shape, sigma=sigma0 * (c if rng.uniform() < 0.5 else 1 / c)))
    return Phantom(tuple(inclusions), background=sigma0)


def tank_dataset(tank, n=2000, image_size=32, snr_db=20.0, seed=0, n_test=None, cache_dir=None):
    """The tank's training set for stage 1, as an :class:`~pinn_inverse.eit.dataset.EITDataset`.

    ``dV`` (n, 32) is :meth:`Tank.stage_input` of noisy simulated voltages (every split is
    noisy, as the real data), ``U`` (n, G, G) the potential under g, ``sigma`` (n, G, G) the
    phantom (data units); 10 % of ``n`` is the validation split, ``n_test`` (default n // 10)
    an independent test split. With ``cache_dir`` the samples are kept in one file there,
    keyed by the configuration (no shards: 2200 samples took under two minutes on one shared
    core).
    """
    config = tank.config(n, image_size, snr_db, seed, n_test)
    grid = ImageGrid(tank.mesh, config.image_size)
    path = None
    if cache_dir is not None:
        path = Path(cache_dir).expanduser() / f"ktc_{config.key()}" / "samples.npz"
    if path is not None and path.exists():
        samples = load_arrays(path)
    else:
        samples = {}
        for index, (split, count) in enumerate((("trainval", config.n), ("test", config.n_test))):
            rng = np.random.default_rng([config.seed, index])
            drawn = _samples(tank, grid, count, config.snr_db, rng)
            samples.update({f"{split}_{k}": v for k, v in drawn.items()})
        if path is not None:
            save_arrays(path, **samples)
            write_json(path.with_name("config.json"), asdict(config))
    n_val = int(round(config.val_fraction * config.n))
    splits = {"train": slice(0, config.n - n_val), "val": slice(config.n - n_val, config.n)}
    keys = ("dV", "U", "sigma")
    out = {s: {k: samples[f"trainval_{k}"][i] for k in keys} for s, i in splits.items()}
    test = {k: samples[f"test_{k}"] for k in keys}
    return EITDataset(
        out["train"], out["val"], test, grid.mask, tank.stage_input(tank.uref), config
    )


def _samples(tank, grid, count, snr_db, rng):
    G = grid.size
    out = {
        "dV": np.empty((count, tank.mesh.n_electrodes)),
        "U": np.empty((count, G, G), dtype=np.float32),
        "sigma": np.empty((count, G, G), dtype=np.float32),
    }
    for i in range(count):
        phantom = tank_phantom(rng, tank.sigma0)
        uel, U, _ = tank.simulate(phantom, snr_db, rng, grid)
        out["dV"][i] = tank.projection @ uel
        out["U"][i] = U
        out["sigma"][i] = np.where(grid.mask, phantom.sigma(grid.points).reshape(G, G), 0)
    return out


def truth_labels(phantom, grid):
    """The challenge's segmentation of a phantom on ``grid``: 0 water, 1 resistive (σ < σ₀),
    2 conductive."""
    sigma = phantom.sigma(grid.points).reshape(grid.size, grid.size)
    labels = np.where(sigma < phantom.background, 1, np.where(sigma > phantom.background, 2, 0))
    return np.where(grid.mask, labels, 0)


def sigma_image(problem, grid):
    """σ of a trained :class:`~pinn_inverse.eit.cnn_pinn.CNNPINN` at ``grid``'s pixel centres
    (data units), 0 outside its mask: the network is continuous, any grid will do."""
    points = grid.points[grid.mask.ravel()] / problem.scales.length
    image = np.zeros(grid.mask.shape)
    image[grid.mask] = problem.model.predict(points.astype(np.float32))[:, 0] * problem.scales.sigma
    return image


SIZES = {
    # the 16-electrode "cpu" U-Net as it was when these sizes were chosen (2000 samples of
    # 32 × 32, a constant rate, no added noise: the tank's samples carry their own); 8
    # validation phantoms choose the σ-PINN's Adam steps among 1000, 2000, 3000
    "full": {
        "dataset": {"n": 2000, "image_size": 32},
        "unet": {"decay_epochs": (), "noise_db": None},
        "validation": 8,
        "steps": (1000, 2000, 3000),
        "tv_iterations": 20,
    },
    # test size: 48 samples of 16 × 16, a small U-Net for 2 epochs, one validation phantom
    # without NOSER and TV (they choose nothing), TV with 2 of its 20 iterations
    "quick": {
        "dataset": {"n": 48, "n_test": 8, "image_size": 16},
        "unet": {
            "base_channels": 4,
            "depth": 2,
            "epochs": 2,
            "batch_size": 16,
            "patience": 0,
            "decay_epochs": (),
            "noise_db": None,
        },
        "validation": 1,
        "steps": (100, 200),
        "tv_iterations": 2,
    },
}
"""Sizes of a run: stage 1's dataset and U-Net, validation phantoms, candidate Adam steps."""


def sigma_preset():
    """The σ-PINN recipe for the tank: the ``"default"`` preset with the hinge off (ν = 0),
    since resistive targets lie below the background (see the module's docstring)."""
    default = SIGMA_PRESETS["default"]
    return default.replace(weights={**default.weights, "hinge": 0.0})


def stage_one(tank, size="full", seed=0, cache=None, progress=False):
    """Stage 1 for the tank, trained (or read from ``cache``) on :func:`tank_dataset`.

    Returns
    -------
    (UNetStage, EITDataset, float)
        The stage, its dataset and the seconds both took.
    """
    sizes = SIZES[check_choice(size, "size", SIZES)]
    start = time.perf_counter()
    cache = None if cache is None else Path(cache).expanduser()
    dataset = tank_dataset(tank, **sizes["dataset"], cache_dir=cache)
    config = replace(UNET_PRESETS["cpu"]["config"], **sizes["unet"])
    unet_cache = None if cache is None else cache / "unet"
    stage = train_unet(dataset, config, seed=seed, cache=unet_cache, progress=progress)
    return stage, dataset, time.perf_counter() - start


def reconstruct(tank, stage, dV, grid, truth, steps, seed=0, U=None):
    """CNN + PINN on one ΔV (32,): the σ-PINN trained on the U-Net's U (or, the oracle, on a
    given image ``U`` (V) on stage 1's grid), segmented and scored after each of ``steps``
    (increasing Adam step counts, one training).

    Returns ``{steps: (σ image (data units), labels, score, seconds so far)}`` and the
    problem."""
    start = time.perf_counter()
    problem = cnn_pinn(
        None if U is not None else dV,
        stage,
        U=U,
        oracle=U is not None,
        mesh=tank.mesh,
        currents=tank.g,
        background=tank.sigma0,
        preset=sigma_preset(),
        seed=seed,
    )
    out, done = {}, 0
    for total in steps:
        problem.train(iterations=total - done, progress=False)
        done = total
        image = sigma_image(problem, grid)
        labels = ktc.segment(image, grid.mask)
        out[total] = (image, labels, ktc.ktc_score(truth, labels), time.perf_counter() - start)
    return out, problem


def validate(tank, stage, n_phantoms, steps, seed=0, baselines=True, oracle=False):
    """Mean KTC scores on simulated validation phantoms (noise as in stage 1's data):
    CNN + PINN after each of ``steps``, (with ``baselines``) NOSER and TV, (with ``oracle``)
    the σ-PINN on the true U after each of ``steps`` and stage 1's relative error in U and in
    U − U₀ (U₀ the empty tank's); and the steps chosen (the best mean of CNN + PINN, the
    fewest on a tie). The oracle is a diagnostic: it chooses nothing."""
    grid = ImageGrid(tank.mesh, SCORE_GRID)
    stage_grid = ImageGrid(tank.mesh, stage.image_size)
    rng = np.random.default_rng([VALIDATION_STREAM, check_int(seed, "seed", minimum=0)])
    uref = tank.reference_voltages()
    scores = {f"cnn_pinn_{s}": [] for s in steps}
    scores.update({"noser": [], "tv": []} if baselines else {})
    if oracle:
        scores.update({f"oracle_{s}": [] for s in steps}, U_rel_l2=[], dU_rel_l2=[])
        U0 = stage_grid.nodal(tank.model.solve(tank.sigma0, tank.g).u[:, 0])
    for _ in range(check_int(n_phantoms, "n_phantoms", minimum=1)):
        phantom = tank_phantom(rng, tank.sigma0)
        uel, U, _ = tank.simulate(phantom, stage.record["dataset"]["snr_db"], rng, stage_grid)
        truth = truth_labels(phantom, grid)
        dV = tank.stage_input(uel, uref)
        found, problem = reconstruct(tank, stage, dV, grid, truth, steps, seed)
        for s, (_, _, score, _) in found.items():
            scores[f"cnn_pinn_{s}"].append(score)
        if oracle:
            U = np.where(stage.mask, U, 0.0)
            known, _ = reconstruct(tank, stage, None, grid, truth, steps, seed, U=U)
            for s, (_, _, score, _) in known.items():
                scores[f"oracle_{s}"].append(score)
            scores["U_rel_l2"].append(metrics.rel_l2(problem.U, U, stage.mask))
            scores["dU_rel_l2"].append(metrics.rel_l2(problem.U - U0, U - U0, stage.mask))
        if baselines:
            classical = ktc.classical(tank.reconstructor, uel, uref, tank.sigma0, grid, truth)
            for name, (_, _, score, _) in classical.items():
                scores[name].append(score)
    means = {k: float(np.mean(v)) for k, v in scores.items()}
    chosen = max(steps, key=lambda s: (means[f"cnn_pinn_{s}"], -s))
    return {"scores": scores, "means": means, "steps": int(chosen), "n_phantoms": n_phantoms}


def run(
    folder,
    out,
    size="full",
    seed=0,
    cache=None,
    targets=(1, 2, 3, 4),
    progress=False,
    oracle=False,
):
    """Stage 1, validation, then the real targets scored once: CNN + PINN, NOSER and TV.

    Parameters
    ----------
    folder : str or Path
        The KTC2023 data folder.
    out : str or Path
        Folder of the figure ``eit_ktc_cnn_pinn.png``.
    size : {"full", "quick"}
        :data:`SIZES`.
    seed : int
        Seed of the U-Net's and σ-PINN's weights and of the validation phantoms (the
        training data's is 0).
    cache : str or Path, optional
        Folder of the tank dataset and U-Net caches (None: nothing kept).
    targets : sequence of int
        Level-1 targets to score (1..4).
    progress : bool
        Show stage 1's progress bar.
    oracle : bool
        Add the oracle diagnostic to the validation (:func:`validate`).

    Returns
    -------
    dict
        The report: configuration, stage 1, validation, per-target scores and their means.
    """
    begin = time.perf_counter()
    tank = Tank.load(folder)
    sizes = SIZES[check_choice(size, "size", SIZES)]
    stage, dataset, stage1_s = stage_one(tank, size, seed, cache, progress)
    full = size == "full"
    validation = validate(
        tank, stage, sizes["validation"], sizes["steps"], seed, baselines=full, oracle=oracle
    )
    steps = validation["steps"]
    grid = ImageGrid(tank.mesh, SCORE_GRID)
    rows, panels = {}, []
    for index in targets:
        _, _, uel = ktc.load_target(tank.folder, index)
        truth = ktc.load_truth(tank.folder, index)
        found, problem = reconstruct(tank, stage, tank.stage_input(uel), grid, truth, [steps])
        image, labels, score, seconds = found[steps]
        images = {"cnn_pinn": (image, labels)}
        rows[index] = {"cnn_pinn": score, "cnn_pinn_seconds": seconds}
        classical = ktc.classical(
            tank.reconstructor, uel, tank.uref, tank.sigma0, grid, truth, sizes["tv_iterations"]
        )
        for name, (im, lab, sc, sec) in classical.items():
            images[name] = (im, lab)
            rows[index].update({name: sc, f"{name}_seconds": sec})
        rows[index]["all_water"] = ktc.ktc_score(truth, np.zeros_like(truth))
        rows[index]["cnn_pinn_adam_step_s"] = problem.timings["adam_step_s"]
        panels.append((index, truth, images))
    means = {
        f"mean_{m}": float(np.mean([r[m] for r in rows.values()])) for m in (*METHODS, "all_water")
    }
    figure = save_figure(plot_ktc(panels, grid.mask, rows), Path(out) / "eit_ktc_cnn_pinn.png")
    return {
        "config": {
            "size": size,
            "seed": seed,
            "sigma0_data_units": tank.sigma0,
            "pattern": TankConfig.pattern(dataset.config)[1],
            "dataset": asdict(dataset.config),
            "sigma_pinn_preset": sigma_preset().asdict(),
            "sigma_pinn_steps": steps,
            "note": "settings fixed on simulated validation phantoms; targets scored once",
        },
        "stage1": {
            **stage.report(),
            "seconds": stage1_s,
            "test_rel_l2": stage.evaluate(dataset.test)["rel_l2"]
            if dataset.test["dV"].size
            else None,
        },
        "validation": validation,
        "targets": rows,
        **means,
        "figure": figure.name,
        "run_s": time.perf_counter() - begin,
    }
