"""Stage 1 of the CNN + PINN paper: a U-Net from boundary voltages ΔV to the potential U.

Sec. II-B and III-B: a U-Net of CBR blocks (:class:`~pinn_inverse.nets.unet.UNet`) is trained
on simulated data (:func:`~pinn_inverse.eit.dataset.make_dataset`) to map the L adjacent
voltage differences ΔV to the internal potential image U under the current pattern
g = sin(ωk)/√(2π), by supervised learning (mean squared error on the disk's pixels).

Inputs and outputs are normalised by the training split's mean and standard deviation, per
channel (each electrode's ΔV; each pixel of U). Training runs through
:class:`~pinn_inverse.training.Trainer` (progress, checkpoints that resume to the same
result, timings) in shuffled minibatches drawn from a private stream
(:class:`Minibatches`; optionally with fresh noise on each batch's ΔV, as the test data
carry, and a learning rate that falls in steps: :class:`UNetConfig`), with the validation
loss after every epoch and early stopping that keeps the best weights (:class:`Validation`).
A trained stage is saved as a folder (the network's arrays and a JSON of its configuration)
and cached by that configuration.
"""

import hashlib
import json
import math
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import deepxde as dde
import numpy as np

from ... import backend, metrics
from ...io import load_arrays, save_arrays, write_json
from ...nets.unet import UNet
from ...training import Stage, Trainer, data_hash
from ...training.checkpoint import differences, flatten
from ...validation import as_array, check_int, check_positive
from ..dataset import DatasetConfig, EITDataset, add_noise, change_rms
from ..patterns import trigonometric_pattern

RECORD = "unet.json"
WEIGHTS = "weights.npz"
DEFAULT_CACHE = "~/.cache/pinn_inverse/eit/unet"
CHUNK = 256  # samples per forward pass when predicting
VALIDATION_NOISE = 1  # second word of the seed of the validation split's noise (noise_db)


@dataclass(frozen=True)
class UNetConfig:
    """The network and its training: ``base_channels`` and ``depth`` of the U-Net, at most
    ``epochs`` epochs of Adam at ``learning_rate`` in minibatches of ``batch_size``, stopped
    after ``patience`` epochs without a lower validation loss (0: never). At each of
    ``decay_epochs`` the learning rate drops tenfold (a new Adam stage, :meth:`stages`).
    With ``noise_db`` every minibatch's ΔV gets fresh white noise at that signal-to-noise
    ratio (dB, on the change from the homogeneous disk, as
    :func:`~pinn_inverse.eit.dataset.add_noise` adds it to test data), and the validation
    split's ΔV one fixed draw of it; ``None``: none."""

    base_channels: int = 16
    depth: int = 3
    epochs: int = 60
    batch_size: int = 32
    learning_rate: float = 1e-3
    patience: int = 15
    momentum: float = 0.9
    decay_epochs: tuple = ()
    noise_db: float | None = None

    def __post_init__(self):
        for name in ("base_channels", "depth", "epochs", "batch_size"):
            check_int(getattr(self, name), name, minimum=1)
        check_int(self.patience, "patience", minimum=0)
        check_positive(self.learning_rate, "learning_rate")
        decay = tuple(check_int(e, "decay_epochs", minimum=1) for e in self.decay_epochs)
        if list(decay) != sorted(set(decay)) or (decay and decay[-1] >= self.epochs):
            raise ValueError(
                f"decay_epochs must increase and lie below epochs = {self.epochs}, got "
                f"{self.decay_epochs}"
            )
        object.__setattr__(self, "decay_epochs", decay)  # a tuple also from JSON's list
        if self.noise_db is not None:
            check_positive(self.noise_db, "noise_db")

    def stages(self, steps_per_epoch):
        """The Adam stages: ``learning_rate`` until the first of ``decay_epochs``, a tenth
        of it until the next, and so on to ``epochs``."""
        bounds = (0, *self.decay_epochs, self.epochs)
        return [
            Stage("adam", (end - begin) * steps_per_epoch, self.learning_rate * 0.1**i)
            for i, (begin, end) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))
        ]

    def asdict(self):
        return asdict(self)


PRESETS = {
    # sized to train within 30 minutes on one CPU core beside another job (12.5 minutes
    # measured), chosen on simulated validation phantoms (benchmarks/eit_unet_validation.py):
    # 4000 samples on a 32 × 32 grid, the rate a tenth after epoch 40 and a hundredth after
    # 52, and 20 dB noise on the training ΔV, as on the test data
    "cpu": {
        "dataset": {"n": 4000, "image_size": 32},
        "config": UNetConfig(decay_epochs=(40, 52), noise_db=20.0),
    },
    # the paper's (Sec. III-B): 10,000 samples, 10 % for validation, about 800 epochs; its
    # image size and U-Net widths are not given: 64 × 64 as in the dataset's default
    "paper": {
        "dataset": {"n": 10000, "image_size": 64},
        "config": UNetConfig(base_channels=32, depth=4, epochs=800, patience=0),
    },
}


@dataclass(frozen=True)
class Normalisation:
    """Per-channel mean and standard deviation of the training split: of ΔV per electrode
    (V), and of U per pixel (V; the network's G² output channels), flattened row by row.

    Per pixel, not over the image: the mean image alone carries most of U (the homogeneous
    disk's potential under g), so the network learns the deviations from it. A pixel's
    standard deviation is floored at 1 % of the largest, so that a pixel on which U hardly
    varies is not magnified; pixels outside the mask keep mean 0 and deviation 1.
    """

    dV_mean: tuple
    dV_std: tuple
    U_mean: tuple
    U_std: tuple

    def __post_init__(self):  # the same values from lists (JSON) as from tuples
        for name in ("dV_mean", "dV_std", "U_mean", "U_std"):
            values = np.ravel(getattr(self, name))
            object.__setattr__(self, name, tuple(float(v) for v in values))

    @classmethod
    def of(cls, train, mask):
        dV, U = train["dV"], train["U"]
        std = U.std(axis=0)
        std = np.where(mask, np.maximum(std, 0.01 * std[mask].max()), 1.0)
        return cls(dV.mean(axis=0), dV.std(axis=0), np.where(mask, U.mean(axis=0), 0.0), std)

    def inputs(self, dV):
        """Normalised network inputs (N, L) from ΔV (N, L) in V."""
        return ((dV - np.array(self.dV_mean)) / np.array(self.dV_std)).astype(np.float32)

    def targets(self, U, mask):
        """Normalised network outputs (N, G²), 0 outside the mask, from images (N, G, G) in V."""
        y = (np.reshape(U, (len(U), -1)) - np.array(self.U_mean)) / np.array(self.U_std)
        return np.where(mask.ravel(), y, 0.0).astype(np.float32)

    def images(self, y, mask):
        """Images (N, G, G) in V, 0 outside the mask, from normalised outputs (N, G²)."""
        U = np.asarray(y, float) * np.array(self.U_std) + np.array(self.U_mean)
        return np.where(mask.ravel(), U, 0.0).reshape(-1, *mask.shape)

    def noise(self, dV, dV_ref, snr_db):
        """Standard deviations (N, L) of :func:`~pinn_inverse.eit.dataset.add_noise`'s noise
        at ``snr_db`` (dB) on ΔV (N, L) against ``dV_ref`` (L,), V, in normalised units."""
        rms = change_rms(dV, dV_ref)
        return (rms * 10 ** (-snr_db / 20) / np.array(self.dV_std)).astype(np.float32)

    def asdict(self):
        return asdict(self)


class Minibatches(dde.data.Data):
    """Supervised data in shuffled minibatches, from a private seeded stream.

    ``train_next_batch`` returns the current batch; the next is drawn by :meth:`resample`,
    which :class:`~pinn_inverse.training.Trainer` calls after every step (this object is
    also its ``resampler``): every ``batch_size`` samples of a fresh permutation of the
    training set per epoch (the last ``n mod batch_size`` of each permutation are left out of
    that epoch). The stream, the permutation and the position go into the trainer's
    checkpoints (:meth:`state_dict`), so a resumed run draws the batches an uninterrupted one
    does. ``monitor`` (e.g. :class:`Validation`) is told of every step and epoch end.

    Parameters
    ----------
    x, y : ndarray
        Training inputs (n, L) and targets (n, G²), normalised.
    x_val, y_val : ndarray
        Validation inputs and targets; ``test`` returns the first ``CHUNK`` of them.
    mask : ndarray of bool, shape (G, G)
        The loss is the mean squared error over the pixels of the mask.
    batch_size : int
    seed : int
    monitor : object, optional
        With ``after_step(epoch_ended, epoch)``, ``state_dict()`` and ``load_state_dict()``.
    noise : ndarray, shape (n, L), optional
        Standard deviations of white noise added to each batch's inputs, fresh per batch
        (:meth:`Normalisation.noise`), from a stream seeded by (seed, epoch, position): a
        resumed run draws what an uninterrupted one does.
    """

    def __init__(self, x, y, x_val, y_val, mask, batch_size, seed=0, monitor=None, noise=None):
        self.x, self.y, self.x_val, self.y_val, self.noise = x, y, x_val, y_val, noise
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        if self.batch_size > len(x):
            raise ValueError(
                f"batch_size {batch_size} is larger than the {len(x)} training samples"
            )
        # the mean over all G² pixels, of which those outside the mask are 0 in both
        self.scale = mask.size / np.count_nonzero(mask)
        self.steps_per_epoch = len(x) // self.batch_size
        self.seed = check_int(seed, "seed", minimum=0)
        self.rng = np.random.RandomState(self.seed)
        self.order, self.position, self.epoch = self.rng.permutation(len(x)), 0, 0
        self.monitor = monitor
        self._batch()

    def _batch(self):
        index = self.order[self.position : self.position + self.batch_size]
        self.train_x, self.train_y = self.x[index], self.y[index]
        if self.noise is not None:
            rng = np.random.default_rng([self.seed, self.epoch, self.position])
            draw = rng.standard_normal(self.train_x.shape).astype(np.float32)
            self.train_x = self.train_x + draw * self.noise[index]

    def losses(self, targets, outputs, loss_fn, inputs, model, aux=None):
        return [backend.reduce_mean((outputs - targets) ** 2) * self.scale]

    def train_next_batch(self, batch_size=None):
        return self.train_x, self.train_y

    def test(self):
        return self.x_val[:CHUNK], self.y_val[:CHUNK]

    # --- the trainer's sampler protocol ----------------------------------------------------

    def due(self, step):
        return True

    def resample(self, data):
        self.position += self.batch_size
        ended = self.position + self.batch_size > len(self.x)
        if ended:
            self.epoch += 1
            self.order, self.position = self.rng.permutation(len(self.x)), 0
        self._batch()
        if self.monitor is not None:
            self.monitor.after_step(ended, self.epoch)

    def state_dict(self, data):
        _, keys, pos, has_gauss, cached = self.rng.get_state()
        state = {
            "rng_keys": keys,
            "rng_numbers": np.array([pos, has_gauss, cached]),
            "order": self.order,
            "counters": np.array([self.position, self.epoch]),
        }
        if self.monitor is not None:
            state.update({f"monitor_{k}": v for k, v in self.monitor.state_dict().items()})
        return state

    def load_state_dict(self, data, state):
        pos, has_gauss, cached = state["rng_numbers"]
        self.rng.set_state(("MT19937", state["rng_keys"], int(pos), int(has_gauss), cached))
        self.order = state["order"]
        self.position, self.epoch = (int(v) for v in state["counters"])
        self._batch()
        if self.monitor is not None:
            prefix = "monitor_"
            self.monitor.load_state_dict(
                {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
            )


class Validation:
    """Validation loss after every epoch, early stopping, and the best weights.

    After every step it lets the next training pass move the batch-normalisation statistics
    (:meth:`~pinn_inverse.nets.unet.UNet.update_statistics`): once per step, whether that
    pass is the step's or the training loss DeepXDE evaluates first at the start of a
    ``Model.train``, which sees the same weights and batch.

    Parameters
    ----------
    model : dde.Model
    x_val, y_val : ndarray
        Normalised validation inputs and targets.
    scale : float
        G² / (pixels in the mask): the loss is the mean over the mask's pixels.
    patience : int
        Epochs without a lower validation loss before training stops (0: never).
    """

    def __init__(self, model, x_val, y_val, scale, patience):
        self.model, self.x_val, self.y_val = model, x_val, y_val
        self.scale, self.patience = scale, patience
        self.history, self.best_epoch, self.wait, self.stopped = [], 0, 0, False
        self.best_state = None

    def loss(self):
        """Mean squared error (normalised) on the validation set, in inference mode."""
        y = _predict(self.model, self.x_val)
        return float(np.mean((y - self.y_val) ** 2) * self.scale)

    def after_step(self, epoch_ended, epoch):
        self.model.net.update_statistics("next")
        if self.stopped:  # resumed after stopping: stop again
            self.model.stop_training = True
            return
        if not epoch_ended:
            return
        loss = self.loss()
        self.history.append(loss)
        if loss <= min(self.history):
            self.best_epoch, self.best_state, self.wait = epoch, self.model.net.state(), 0
        else:
            self.wait += 1
        if self.patience and self.wait >= self.patience:
            self.stopped = self.model.stop_training = True

    def restore_best(self):
        """Load the weights of the epoch with the lowest validation loss (if any epoch ran)."""
        if self.best_state is not None:
            self.model.net.load_state(self.best_state)

    def state_dict(self):
        state = {
            "history": np.array(self.history, float),
            "counters": np.array([self.best_epoch, self.wait, self.stopped]),
        }
        if self.best_state is not None:
            state.update({f"best_{k}": v for k, v in self.best_state.items()})
        return state

    def load_state_dict(self, state):
        self.history = [float(v) for v in state["history"]]
        self.best_epoch, self.wait, stopped = (int(v) for v in state["counters"])
        self.stopped = bool(stopped)
        best = {k[len("best_") :]: v for k, v in state.items() if k.startswith("best_")}
        self.best_state = best or None


def _predict(model, x):
    """Network outputs for ``x`` in chunks of ``CHUNK`` samples, inference mode."""
    return np.concatenate([model.predict(x[i : i + CHUNK]) for i in range(0, len(x), CHUNK)])


class UNetStage:
    """A trained (or loaded) stage 1: ΔV (V) → U image (V) on the dataset's G × G grid.

    Build it with :func:`train_unet`, or :meth:`load` a saved one. ``net`` is the
    :class:`~pinn_inverse.nets.unet.UNet` and ``model`` its ``dde.Model``; after training in
    this process ``trainer`` is the :class:`~pinn_inverse.training.Trainer` that ran it.
    """

    def __init__(self, model, record, mask, trainer=None, validation=None):
        self.model, self.net, self.record = model, model.net, record
        self.mask, self.trainer, self.validation = mask, trainer, validation
        self.normalisation = Normalisation(**record["normalisation"])
        self.n_electrodes = record["dataset"]["n_electrodes"]
        self.image_size = record["dataset"]["image_size"]
        self.currents = np.array(record["currents"])

    def predict(self, dV):
        """Potential images U (V), 0 outside the disk.

        Parameters
        ----------
        dV : array_like, shape (L,) or (N, L)
            Adjacent voltage differences (V) under the stage's current pattern.

        Returns
        -------
        ndarray, shape (G, G) or (N, G, G)
        """
        dV = as_array(dV, "dV")
        single = dV.ndim == 1
        if dV.ndim not in (1, 2) or dV.shape[-1] != self.n_electrodes:
            raise ValueError(
                f"dV must have shape ({self.n_electrodes},) or (N, {self.n_electrodes}): this "
                f"U-Net was trained for {self.n_electrodes} electrodes, got shape {dV.shape}"
            )
        y = _predict(self.model, self.normalisation.inputs(np.atleast_2d(dV)))
        U = self.normalisation.images(y, self.mask)
        return U[0] if single else U

    def check(self, n_electrodes=None, image_size=None, currents=None):
        """Refuse (``ValueError``) another electrode count, image size or current pattern
        (A, (L,) or (L, 1)) than this stage was trained for; ``None`` checks nothing."""
        if n_electrodes is not None and n_electrodes != self.n_electrodes:
            raise ValueError(
                f"this U-Net was trained for {self.n_electrodes} electrodes, not {n_electrodes}"
            )
        if image_size is not None and image_size != self.image_size:
            raise ValueError(
                f"this U-Net predicts {self.image_size} × {self.image_size} images, not "
                f"{image_size} × {image_size}"
            )
        if currents is not None:
            currents = as_array(currents, "currents").ravel()
            if currents.shape != self.currents.shape or not np.allclose(currents, self.currents):
                raise ValueError(
                    f"this U-Net was trained for the current pattern {self.currents.round(4)} "
                    f"(A), not {currents.round(4)}"
                )
        return self

    def evaluate(self, split):
        """Relative L2 error of U over the disk on a split (a dict of ``dV`` and ``U``, e.g.
        ``dataset.test``): over the whole split, and the mean and max over its samples."""
        U = self.predict(split["dV"])
        mask = np.broadcast_to(self.mask, U.shape)
        per_sample = [metrics.rel_l2(u, t, self.mask) for u, t in zip(U, split["U"], strict=True)]
        return {
            "rel_l2": metrics.rel_l2(U, split["U"], mask),
            "rel_l2_mean": float(np.mean(per_sample)),
            "rel_l2_max": float(np.max(per_sample)),
            "samples": len(U),
        }

    def report(self):
        """The configuration, validation history, best epoch and (when trained here) the
        trainer's report."""
        out = {k: v for k, v in self.record.items() if k not in ("normalisation", "mask")}
        if self.trainer is not None:
            out["training"] = self.trainer.report()
        return out

    def save(self, folder):
        """Write the stage into ``folder``: the network's arrays (with a SHA-256 digest),
        then the JSON record, each atomically (a folder without the JSON holds no model)."""
        folder = Path(folder)
        save_arrays(folder / WEIGHTS, **self.net.state())
        write_json(folder / RECORD, self.record)
        return folder

    @classmethod
    def load(cls, folder, n_electrodes=None, image_size=None, currents=None):
        """Load a stage saved by :meth:`save`, on the backend it was trained on, and
        :meth:`check` it against the electrode count, image size and current pattern (A)
        given (``None`` checks nothing)."""
        return _load(folder).check(n_electrodes, image_size, currents)


def _load(folder, expect=None):
    """A saved stage; ``expect`` (record entries) must match its record."""
    folder = Path(folder).expanduser()
    path = folder / RECORD
    if not path.exists():
        raise ValueError(f"{folder} holds no saved U-Net ({RECORD} is missing)")
    record = json.loads(path.read_text())
    if record["backend"] != backend.backend_name():
        raise ValueError(
            f"the U-Net in {folder} was trained on {record['backend']}; load it with "
            f"DDE_BACKEND={record['backend']}"
        )
    if expect is not None:
        diff = differences(flatten({k: record.get(k) for k in expect}), flatten(expect))
        if diff:
            raise ValueError(
                f"the U-Net cached in {folder} was trained for another configuration "
                f"({'; '.join(diff)}); remove that folder to train again"
            )
    mask = np.array(record["mask"], bool)
    model = _model(record, mask, None)
    model.net.load_state(load_arrays(folder / WEIGHTS))
    return UNetStage(model, record, mask)


def _model(record, mask, data):
    config = UNetConfig(**record["config"])
    net = UNet(
        record["dataset"]["n_electrodes"],
        record["dataset"]["image_size"],
        config.base_channels,
        config.depth,
        mask=mask,
        momentum=config.momentum,
        seed=record["seed"],
    )
    net.update_statistics("next")
    model = dde.Model(data, net)
    if data is None:  # a loaded stage: compiled for predict (DeepXDE's needs it)
        model.compile("adam", lr=config.learning_rate, verbose=0)
    return model


def _record(dataset, config, seed):
    """Everything the trained network depends on; its hash names the cached folder."""
    currents, pattern = _pattern(dataset.config)
    return {
        "stage": "unet",
        "backend": backend.backend_name(),
        "seed": seed,
        "config": config.asdict(),
        "dataset": asdict(dataset.config),
        "currents": currents.tolist(),
        "pattern": pattern,
        "data_sha256": data_hash(
            dataset.train["dV"], dataset.train["U"], dataset.val["dV"], dataset.val["U"]
        ),
        "mask": dataset.mask.astype(int).tolist(),
    }


def _pattern(config):
    """The current pattern (A, (L,)) the dataset's U is under, and its formula: the config's
    own where it has one (the KTC tank's, :class:`~pinn_inverse.eit.cnn_pinn.ktc.TankConfig`),
    else the paper's g on all L electrodes."""
    if callable(getattr(config, "pattern", None)):
        return config.pattern()
    return trigonometric_pattern(config.n_electrodes)[:, 0], "g_k = sin(2πk/L)/√(2π), k = 1..L"


def _key(record):
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:12]


def _check(dataset, config, seed):
    if not isinstance(dataset, EITDataset) or not isinstance(dataset.config, DatasetConfig):
        raise TypeError(f"dataset must be an EITDataset (make_dataset), got {type(dataset)}")
    if config is None:
        config = PRESETS["cpu"]["config"]
    if not isinstance(config, UNetConfig):
        raise TypeError(f"config must be a UNetConfig, got {type(config).__name__}")
    for split in ("train", "val"):
        if not getattr(dataset, split):
            raise ValueError(f"the dataset's {split} split is empty; make a larger dataset")
    G = dataset.config.image_size
    if G % 2**config.depth:
        raise ValueError(
            f"the dataset's image size {G} must be divisible by 2**depth = {2**config.depth}; "
            f"make the dataset with another image_size or lower the U-Net's depth"
        )
    return config, check_int(seed, "seed", minimum=0)


def train_unet(
    dataset,
    config=None,
    seed=0,
    cache=DEFAULT_CACHE,
    checkpoint=None,
    checkpoint_every=250,
    progress=True,
):
    """Train stage 1 on a dataset (or load it from the cache, when trained before).

    Parameters
    ----------
    dataset : EITDataset
        From :func:`~pinn_inverse.eit.dataset.make_dataset`: trained on ``train``, validated
        on ``val``.
    config : UNetConfig, optional
        Default ``PRESETS["cpu"]["config"]``; ``PRESETS["paper"]`` holds the paper's sizes.
    seed : int
        Seed of the initial weights and of the minibatches.
    cache : str or Path or None
        Root folder of trained stages, each in ``unet_<hash of its configuration>``; ``None``
        keeps nothing.
    checkpoint : str or Path, optional
        Folder for training checkpoints; by default (with a cache) one beside the cached
        stage, removed once it is saved. An interrupted training resumes from it.
    checkpoint_every : int
        Steps (minibatches) between checkpoints.
    progress : bool
        Show a progress bar over the steps.

    Returns
    -------
    UNetStage
    """
    config, seed = _check(dataset, config, seed)
    record = _record(dataset, config, seed)
    folder = None if cache is None else Path(cache).expanduser() / f"unet_{_key(record)}"
    if folder is not None and (folder / RECORD).exists():
        expect = {k: v for k, v in record.items() if k != "mask"}
        return _load(folder, expect)
    if checkpoint is None and folder is not None:
        checkpoint = folder.with_name(folder.name + ".checkpoint")
    mask = dataset.mask
    norm = Normalisation.of(dataset.train, mask)
    x, y = norm.inputs(dataset.train["dV"]), norm.targets(dataset.train["U"], mask)
    dV_val, noise = dataset.val["dV"], None
    if config.noise_db is not None:
        noise = norm.noise(dataset.train["dV"], dataset.dV_ref, config.noise_db)
        rng = np.random.default_rng([seed, VALIDATION_NOISE])
        dV_val = add_noise(dV_val, config.noise_db, rng, reference=dataset.dV_ref)
    x_val, y_val = norm.inputs(dV_val), norm.targets(dataset.val["U"], mask)
    data = Minibatches(x, y, x_val, y_val, mask, config.batch_size, seed, noise=noise)
    model = _model(record, mask, data)
    validation = Validation(model, x_val, y_val, data.scale, config.patience)
    data.monitor = validation
    trainer = Trainer(model, ["U"], [1.0], resampler=data, fingerprint=record, name="U-Net")
    start = time.perf_counter()
    trainer.train(
        config.stages(data.steps_per_epoch),
        checkpoint=checkpoint,
        checkpoint_every=check_int(checkpoint_every, "checkpoint_every", minimum=1),
        progress=progress,
        display_every=data.steps_per_epoch,
    )
    validation.restore_best()
    record = {
        **record,
        "normalisation": norm.asdict(),
        "epochs_run": len(validation.history),
        "best_epoch": validation.best_epoch,
        "val_loss": min(validation.history, default=math.nan),
        "val_history": validation.history,
        "train_s": time.perf_counter() - start,
    }
    stage = UNetStage(model, record, mask, trainer, validation)
    if folder is not None:
        stage.save(folder)
        if checkpoint == folder.with_name(folder.name + ".checkpoint"):
            shutil.rmtree(checkpoint, ignore_errors=True)
    return stage
