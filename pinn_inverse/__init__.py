"""pinn_inverse: physics-informed neural networks for bioelectric inverse problems.

Three published methods, encoded as DeepXDE problem plugins:

- :mod:`pinn_inverse.eeg` -- ED-PINN, the 3D potential in a layered head from scalp EEG;
- :mod:`pinn_inverse.ecg` -- EAND-ARN, heart-surface potentials from body-surface potentials;
- :mod:`pinn_inverse.eit` -- CNN + PINN, a conductivity image from boundary voltages.

Sub-packages are imported on first use, so ``import pinn_inverse`` stays fast and does not
import a DeepXDE backend until a network is needed.
"""

import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "backend",
    "cli",
    "ecg",
    "eeg",
    "eit",
    "io",
    "metrics",
    "nets",
    "operators",
    "sampling",
    "sweep",
    "training",
    "validation",
)


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_SUBMODULES])
