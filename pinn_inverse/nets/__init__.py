"""Networks with one constructor on every supported DeepXDE backend.

Importing this package imports DeepXDE, so choose the backend first (``DDE_BACKEND`` or
:func:`pinn_inverse.backend.set_backend`).
"""

from .siren import SIREN

__all__ = ["SIREN"]
