"""Atomic file output, cache integrity and run reports.

Nothing is ever written half-way: every file is written to a temporary name in the same
folder and moved into place with :func:`os.replace`, which is atomic on POSIX and Windows.
An interrupted run therefore leaves either the old file or the new one, never a torn one.
"""

import contextlib
import hashlib
import json
import os
import platform
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np


def shared_data(*parts):
    """A path in the real data folder: ``../shared/data`` beside the repository, or
    ``$PINN_INVERSE_DATA`` when it is set; ``parts`` are joined onto it."""
    root = Path(__file__).resolve().parents[2] / "shared" / "data"
    return Path(os.environ.get("PINN_INVERSE_DATA", root), *parts)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; move it onto ``path`` only on success.

    The file gets the permissions a plain ``open`` would give it (0666 less the umask), not
    the owner-only ones of a temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _json_default(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write_json(path, data):
    """Write ``data`` as indented JSON, atomically; numpy values are converted."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=_json_default) + "\n")
    return Path(path)


def save_figure(fig, path, dpi=120):
    """Save a matplotlib figure as PNG, atomically, and close it."""
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    plt.close(fig)
    return Path(path)


def save_arrays(path, **arrays):
    """Save arrays to ``.npz`` atomically, with a SHA-256 digest of the content.

    :func:`load_arrays` recomputes the digest, so a truncated or corrupted cache file is
    detected instead of being used.
    """
    digest = _digest(arrays)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, __sha256__=np.array(digest), **arrays)
    return Path(path)


def load_arrays(path):
    """Load arrays saved by :func:`save_arrays`; raise ``ValueError`` if the file is corrupt."""
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"cache file {path} is unreadable ({err})") from err
    stored = str(arrays.pop("__sha256__", ""))
    if stored != _digest(arrays):
        raise ValueError(f"cache file {path} failed its integrity check")
    return arrays


def _digest(arrays):
    sha = hashlib.sha256()
    for key in sorted(arrays):
        value = np.ascontiguousarray(arrays[key])
        sha.update(key.encode())
        sha.update(str(value.dtype).encode() + str(value.shape).encode())
        sha.update(value.tobytes())
    return sha.hexdigest()


def peak_memory_mb():
    """Peak resident memory of this process in MiB (``ru_maxrss``)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024.0 if sys.platform != "darwin" else rss / 2**20


def versions():
    """Versions of Python and of the libraries a result depends on (None when absent)."""
    from importlib import metadata

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for dist in ("pinn_inverse", "deepxde", "tensorflow", "torch", "numpy", "scipy", "pyamg"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


class RunTimer:
    """Measure wall time and peak memory of a block, for ``report.json``."""

    def __enter__(self):
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall_time_s = time.perf_counter() - self._start
        self.peak_memory_mb = peak_memory_mb()
        return False
