"""Synthetic training data of the paper (Sec. III-B): boundary voltages ΔV and potential images U.

Each sample draws a random phantom (one circle, two circles, or a circle and a triangle),
solves the complete electrode model under the paper's current pattern g, and records

- ``dV``: the adjacent-electrode voltage differences (four-electrode protocol, V), the CNN input;
- ``U``: the internal potential as a G × G image (V, 0 outside the mask), the CNN target;
- ``sigma``: the true conductivity as a G × G image (S/m), the target of the second stage.

Train and validation samples come from one seeded stream (the last ``val_fraction`` of it is
the validation set); the test set is an independent stream with Gaussian noise at ``snr_db``
(20 dB in the paper) added to ``dV``, relative to its change from the homogeneous disk.
Samples are generated in shards, in parallel, each shard written atomically with a SHA-256
digest: an interrupted run resumes from the shards on disk, and a corrupted shard is detected
and regenerated, never used.
"""

import hashlib
import json
import os
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..io import load_arrays, save_arrays, write_json
from ..validation import check_int, check_positive
from . import patterns
from .fem import ForwardModel
from .image import ImageGrid
from .mesh import disk_mesh
from .phantoms import KINDS, random_phantom

_SPLITS = {"trainval": 0, "test": 1}


@dataclass(frozen=True)
class DatasetConfig:
    """Everything that determines the samples; its hash names the cache folder."""

    n: int = 10000
    n_test: int = 1000
    val_fraction: float = 0.1
    image_size: int = 64
    n_electrodes: int = 16
    h: float = 0.06
    z: float = 0.01
    snr_db: float = 20.0
    seed: int = 0
    shard_size: int = 250

    def key(self):
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]

    def shards(self):
        """(split, shard index, number of samples) for every shard."""
        out = []
        for split, total in (("trainval", self.n), ("test", self.n_test)):
            for index, start in enumerate(range(0, total, self.shard_size)):
                out.append((split, index, min(self.shard_size, total - start)))
        return out


@dataclass
class EITDataset:
    """Splits ``train``, ``val``, ``test``: dicts of ``dV`` (n, L), ``U`` and ``sigma`` (n, G, G),
    ``kind`` (n,) (index into :data:`~pinn_inverse.eit.phantoms.KINDS`); plus the pixel ``mask``
    (G, G), the homogeneous reference ``dV_ref`` (L,) and the ``config``."""

    train: dict
    val: dict
    test: dict
    mask: np.ndarray
    dV_ref: np.ndarray
    config: DatasetConfig


class _Simulator:
    """The mesh, forward model and image grid of one configuration, built once per process."""

    def __init__(self, config: DatasetConfig):
        self.config = config
        mesh = disk_mesh(config.n_electrodes, h=config.h)
        self.model = ForwardModel(mesh, z=config.z)
        self.grid = ImageGrid(mesh, config.image_size)
        self.currents = patterns.trigonometric_pattern(config.n_electrodes)
        self.measurements = patterns.adjacent_differences(config.n_electrodes)

    def reference(self):
        return self.model.forward(1.0, self.currents, self.measurements)

    def shard(self, split, index, count):
        config = self.config
        rng = np.random.default_rng([config.seed, _SPLITS[split], index])
        G = config.image_size
        out = {
            "dV": np.empty((count, config.n_electrodes)),
            "U": np.empty((count, G, G), dtype=np.float32),
            "sigma": np.empty((count, G, G), dtype=np.float32),
            "kind": np.empty(count, dtype=np.int8),
        }
        centroids = self.model.mesh.centroids
        for i in range(count):
            kind = int(rng.integers(len(KINDS)))
            phantom = random_phantom(KINDS[kind], rng, radius=self.model.mesh.radius)
            solution = self.model.solve(phantom.sigma(centroids), self.currents)
            out["dV"][i] = self.measurements.T @ solution.U[:, 0]
            out["U"][i] = self.grid.nodal(solution.u[:, 0])
            out["sigma"][i] = np.where(
                self.grid.mask, phantom.sigma(self.grid.points).reshape(G, G), 0
            )
            out["kind"][i] = kind
        if split == "test":
            out["dV"] = add_noise(out["dV"], config.snr_db, rng, reference=self.reference())
        return out


def add_noise(signal, snr_db, rng, reference=None):
    """Add white Gaussian noise at a signal-to-noise ratio (dB), per sample (row).

    The noise standard deviation is rms(signal − reference) · 10^(−snr_db / 20): with a
    ``reference`` (the homogeneous voltages) the ratio is taken on the voltage change, as
    EIDORS' ``add_noise`` does, which the paper used; without one, on the signal itself.
    """
    rms = change_rms(signal, reference)
    return signal + rng.standard_normal(np.shape(signal)) * rms * 10 ** (-snr_db / 20)


def change_rms(signal, reference=None):
    """rms(signal − reference) per sample (row, kept as a column), the scale of
    :func:`add_noise`'s noise; without a ``reference``, of the signal itself."""
    change = signal if reference is None else signal - reference
    return np.sqrt(np.mean(change**2, axis=-1, keepdims=True))


_WORKER = {}


def _worker_shard(config, split, index, count, path):
    simulator = _WORKER.get(config)
    if simulator is None:
        simulator = _WORKER[config] = _Simulator(config)
    save_arrays(path, **simulator.shard(split, index, count))
    return count


def _shard_path(folder, split, index):
    return folder / f"{split}_{index:04d}.npz"


def make_dataset(
    n=10000,
    n_test=None,
    val_fraction=0.1,
    image_size=64,
    n_electrodes=16,
    h=0.06,
    z=0.01,
    snr_db=20.0,
    seed=0,
    cache_dir="~/.cache/pinn_inverse/eit",
    shard_size=250,
    workers=None,
    progress=True,
):
    """Generate (or load from cache) the paper's synthetic EIT dataset.

    Parameters
    ----------
    n : int
        Number of training + validation samples (the paper: 10,000).
    n_test : int, optional
        Number of independent noisy test samples; default ``n // 10``.
    val_fraction : float
        Fraction of the ``n`` samples held out for validation (the paper: 10 %).
    image_size : int
        Pixels per side G of the potential and conductivity images (default 64).
    n_electrodes : int
        Number of electrodes L (default 16).
    h : float
        Mesh edge length on the unit disk (m).
    z : float
        Contact impedance (Ω·m²).
    snr_db : float
        Signal-to-noise ratio of the test set's ``dV`` (dB); the paper: 20.
    seed : int
        Seed of every random draw.
    cache_dir : str or Path
        Folder of the shard cache; each configuration gets its own sub-folder.
    shard_size : int
        Samples per shard (the unit of parallel work and of resumption).
    workers : int, optional
        Worker processes; default: the number of CPU cores. 1 runs in this process.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    EITDataset
    """
    n = check_int(n, "n", minimum=2)
    n_test = n // 10 if n_test is None else check_int(n_test, "n_test", minimum=0)
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    config = DatasetConfig(
        n=n,
        n_test=n_test,
        val_fraction=float(val_fraction),
        image_size=check_int(image_size, "image_size", minimum=8),
        n_electrodes=check_int(n_electrodes, "n_electrodes", minimum=4),
        h=float(check_positive(h, "h")),
        z=float(check_positive(z, "z")),
        snr_db=float(snr_db),
        seed=check_int(seed, "seed"),
        shard_size=check_int(shard_size, "shard_size", minimum=1),
    )
    folder = Path(cache_dir).expanduser() / f"eit_{config.key()}"
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "config.json", asdict(config))
    shards = {(split, index): count for split, index, count in config.shards()}
    loaded = {}
    for key in shards:
        path = _shard_path(folder, *key)
        if not path.exists():
            continue
        try:
            loaded[key] = load_arrays(path)
        except ValueError as err:
            warnings.warn(f"{err}; regenerating it", stacklevel=2)
    missing = [key for key in shards if key not in loaded]
    _generate(config, folder, missing, shards, workers, progress)
    for key in missing:
        loaded[key] = load_arrays(_shard_path(folder, *key))
    simulator = _Simulator(config)
    return _assemble(config, loaded, simulator)


def _generate(config, folder, missing, shards, workers, progress):
    total = sum(shards[key] for key in missing)
    if not missing:
        return
    workers = min(os.cpu_count() or 1, len(missing)) if workers is None else workers
    workers = check_int(workers, "workers", minimum=1)
    bar = tqdm(total=total, desc="EIT samples", unit="sample", disable=not progress)
    jobs = [(config, *key, shards[key], _shard_path(folder, *key)) for key in missing]
    if workers == 1:
        for job in jobs:
            bar.update(_worker_shard(*job))
    else:
        # spawn, not fork: the parent may hold TensorFlow or PyTorch threads.
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            for future in as_completed([pool.submit(_worker_shard, *job) for job in jobs]):
                bar.update(future.result())
    bar.close()


def _assemble(config, loaded, simulator):
    def stack(split):
        keys = sorted(k for k in loaded if k[0] == split)
        if not keys:
            return {}
        return {name: np.concatenate([loaded[k][name] for k in keys]) for name in loaded[keys[0]]}

    trainval, test = stack("trainval"), stack("test")
    n_val = int(round(config.val_fraction * config.n))
    train = {k: v[: config.n - n_val] for k, v in trainval.items()}
    val = {k: v[config.n - n_val :] for k, v in trainval.items()}
    return EITDataset(train, val, test, simulator.grid.mask, simulator.reference(), config)
