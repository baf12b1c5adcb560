"""Checkpoints that resume to the same result, and refuse another problem's.

A checkpoint folder holds ``checkpoint.json`` (the step, the schedule, the fingerprint of the
recipe, the backend, the external variables, the loss history) and the two files it names:
the model saved by DeepXDE's ``Model.save`` (network, and on PyTorch the optimizer) and an
``.npz`` with the rest of the state (on TensorFlow Adam's moments, the collocation stream and
the points in use, the divergence guard's copy of the weights). Each file is written under a
temporary name and moved into place; the JSON is moved last, so an interrupted write leaves
the previous checkpoint whole.
"""

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from .. import backend
from ..io import atomic_path, write_json

RECORD = "checkpoint.json"


def data_hash(*arrays):
    """SHA-256 of arrays (as float64), for a fingerprint: the data a run was trained on."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    return digest.hexdigest()


def flatten(record, prefix=""):
    """Nested dicts as one dict with dotted keys (``{"a": {"b": 1}}`` → ``{"a.b": 1}``),
    values as JSON would give them back (tuples as lists)."""
    flat = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = json.loads(json.dumps(value, default=_plain))
    return flat


def _plain(value):
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def differences(saved, mine):
    """The keys where two flattened fingerprints differ, as readable text."""
    keys = sorted(set(saved) | set(mine))
    return [
        f"{k}: {saved.get(k, '(absent)')!r} in the checkpoint, {mine.get(k, '(absent)')!r} here"
        for k in keys
        if saved.get(k) != mine.get(k)
    ]


def read_record(folder):
    """The checkpoint's JSON record, or None if the folder holds none."""
    path = Path(folder) / RECORD
    return json.loads(path.read_text()) if path.exists() else None


def save(folder, trainer):
    """Write ``trainer``'s state into ``folder`` (see the module docstring)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tag = f"{trainer.done:08d}"
    written = Path(trainer.model.save(str(folder / f".writing-{tag}")))
    weights = folder / f"weights-{tag}{''.join(written.suffixes)}"  # .pt or .weights.h5
    os.replace(written, weights)
    arrays = {f"optimizer{k}": a for k, a in enumerate(backend.optimizer_state(trainer.optimizer))}
    if trainer.resampler is not None:
        arrays.update(
            {f"sampler_{k}": v for k, v in trainer.resampler.state_dict(trainer.data).items()}
        )
    guard = trainer.guard  # the divergence guard's copy of the weights (Stage.rollback)
    if guard is not None:
        arrays.update({f"guard_{k}": a for k, a in enumerate(guard["weights"])})
    state = folder / f"state-{tag}.npz"
    with atomic_path(state) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)
    write_json(
        folder / RECORD,
        {
            "done": trainer.done,
            "schedule": [stage.asdict() for stage in trainer.schedule],
            "backend": backend.backend_name(),
            "fingerprint": trainer.fingerprint,
            "weights": weights.name,
            "state": state.name,
            "variables": trainer.variable_values().tolist(),
            "history": trainer.history,
            "timings": trainer.timings,
            "guard": guard and {k: guard[k] for k in ("loss", "step", "variables")},
            "rollbacks": trainer.rollbacks,
        },
    )
    for old in [*folder.glob("weights-*"), *folder.glob("state-*")]:
        if old.name not in (weights.name, state.name):
            old.unlink()


def check(record, folder, trainer):
    """Refuse a checkpoint of another backend, recipe or schedule, naming what differs."""
    if record["backend"] != backend.backend_name():
        raise ValueError(
            f"checkpoint in {folder} was written by the {record['backend']} backend; resume "
            f"with that backend or use another folder"
        )
    diff = differences(flatten(record["fingerprint"]), flatten(trainer.fingerprint))
    if diff:
        raise ValueError(
            f"checkpoint in {folder} belongs to another problem ({'; '.join(diff)}); use "
            f"another folder, or the same settings to resume"
        )
    mine = [stage.asdict() for stage in trainer.schedule]
    covered = trainer.stages_covering(record["done"], record["schedule"])
    if flatten({"s": record["schedule"][:covered]}) != flatten({"s": mine[:covered]}):
        raise ValueError(
            f"checkpoint in {folder} is at step {record['done']} of the schedule "
            f"{record['schedule']}, which this training does not follow ({mine}); use another "
            f"folder, or the same stages to resume"
        )


def restore(folder, record, trainer):
    """Load the checkpoint into ``trainer``'s model (compiled for the checkpoint's stage)."""
    folder = Path(folder)
    model = trainer.model
    model.predict(trainer.data.train_x[:1])  # builds a Keras network before it loads weights
    model.restore(str(folder / record["weights"]))
    with np.load(folder / record["state"]) as state:
        arrays = dict(state)
    optimizer = [arrays[f"optimizer{k}"] for k in range(sum(k.startswith("opt") for k in arrays))]
    backend.load_optimizer_state(trainer.optimizer, model, optimizer)
    if trainer.resampler is not None:
        sampler = {k[len("sampler_") :]: v for k, v in arrays.items() if k.startswith("sampler_")}
        trainer.resampler.load_state_dict(trainer.data, sampler)
    for variable, value in zip(trainer.variables, record["variables"], strict=True):
        backend.assign(variable, value)
    guard = record["guard"]
    if guard is not None:
        count = sum(k.startswith("guard_") for k in arrays)
        trainer.guard = {**guard, "weights": [arrays[f"guard_{k}"] for k in range(count)]}
