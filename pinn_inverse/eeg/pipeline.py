"""EEG: simulate scalp EEG in the three-shell head and verify the grid solver against it.

Stages: head and source → exact potential (Legendre series) → 32 electrodes with 0.5 % noise
→ the grid solver's error against the series → figures. The ED-PINN training joins here.
"""

import numpy as np

from ..io import save_figure
from ..metrics import rel_l2
from .electrodes import fibonacci_electrodes
from .grid import solve_head
from .head import ThreeShellHead
from .plotting import plot_scalp_map, plot_slice
from .simulate import simulate
from .sources import Dipole
from .sphere_series import exact_potential


def add_arguments(parser):
    parser.add_argument("--electrodes", type=int, default=32, help="Fibonacci electrodes")
    parser.add_argument("--noise", type=float, default=0.005, help="noise, fraction of range")
    parser.add_argument("--grid", type=int, default=None, help="grid cells per axis")


def run(args):
    n = args.grid or (32 if args.quick else 64)
    head = ThreeShellHead()
    source = Dipole()
    electrodes = fibonacci_electrodes(args.electrodes, head.radius)
    sim = simulate(head, source, electrodes, noise=args.noise, seed=args.seed, grid_n=n)

    # the grid solver against the exact series, both average-referenced at the electrodes
    solution = solve_head(head, source, n=n)
    grid_el = solution.sample(electrodes)
    grid_el -= grid_el.mean()

    scalp = fibonacci_electrodes(2000, head.radius)
    scalp_values = (
        exact_potential(head, source, scalp) - exact_potential(head, source, electrodes).mean()
    )
    figures = []
    fig = plot_slice(head, sim.grid, sim.volume, title="true potential, z = 0", source=source)
    figures.append(save_figure(fig.figure, args.out / "true_potential_slice.png").name)
    fig = plot_scalp_map(
        electrodes,
        sim.measurements,
        dense=(scalp, scalp_values),
        title="scalp potential and measurements",
    )
    figures.append(save_figure(fig.figure, args.out / "scalp_map.png").name)
    return {
        "config": {
            "head": {"radii_m": head.radii, "sigmas_S_per_m": head.sigmas, "tissues": head.tissues},
            "source": {
                "type": "Dipole",
                "position_m": source.position,
                "moment_Am": source.moment,
                "width_m": source.width,
            },
            "electrodes": len(electrodes),
            "noise_fraction": args.noise,
            "grid_n": n,
            "reference": "average",
        },
        "metrics": {
            "electrode_range_V": float(np.ptp(sim.clean)),
            "noise_std_V": sim.noise_std,
            "grid_solver_rel_l2_electrodes": rel_l2(grid_el, sim.clean),
            "grid_solver_iterations": solution.iterations,
            "grid_solver_residual": solution.residual,
        },
        "figures": figures,
    }
