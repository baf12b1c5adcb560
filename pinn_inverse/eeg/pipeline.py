"""EEG: ED-PINN reconstruction of the brain potential and its source from simulated scalp EEG.

Stages: head and source → exact potential (Legendre series) → 32 electrodes with 0.5 % noise
→ the grid solver checked against the series → ED-PINN trained on the measurements →
metrics against the truth, next to a dipole fit and sLORETA on the same data → figures.
"""

import time

import numpy as np

from ..io import save_figure
from ..metrics import localization_error, rel_l2
from ..validation import check_int
from .baselines import FIT_MIN_ELECTRODES, dipole_fit, sloreta
from .ed_pinn import MODES, PRESETS, ed_pinn
from .electrodes import fibonacci_electrodes
from .evaluate import evaluate
from .grid import solve_head
from .head import ThreeShellHead
from .plotting import (
    plot_data_fit,
    plot_reconstruction,
    plot_scalp_map,
    plot_slice,
    plot_source_estimate,
)
from .simulate import MIN_GRID, check_noise, simulate
from .sources import Dipole
from .sphere_series import exact_potential


def add_arguments(parser):
    parser.add_argument("--mode", choices=MODES, default="free", help="source mode")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    parser.add_argument("--iterations", type=int, default=None, help="Adam steps")
    parser.add_argument("--lbfgs", type=int, default=None, help="L-BFGS iterations after Adam")
    parser.add_argument("--electrodes", type=int, default=32, help="Fibonacci electrodes")
    parser.add_argument("--noise", type=float, default=0.005, help="noise, fraction of range")
    parser.add_argument(
        "--grid", type=int, default=None, help="evaluation grid cells per axis (preset's)"
    )


def check(args):
    """Refuse a bad option before any work: the command shows the message as a usage error."""
    check_int(args.seed, "--seed", minimum=0)
    check_int(args.electrodes, "--electrodes (the dipole fit's)", minimum=FIT_MIN_ELECTRODES)
    for name, minimum in (("iterations", 0), ("lbfgs", 0), ("grid", MIN_GRID)):
        if getattr(args, name) is not None:
            check_int(getattr(args, name), f"--{name}", minimum=minimum)
    check_noise(args.noise, "--noise")


def run(args):
    preset = PRESETS[args.preset]
    if args.quick:
        preset = preset.quick()
    n = args.grid or (24 if args.quick else preset.eval_grid)
    head = ThreeShellHead()
    source = Dipole()
    electrodes = fibonacci_electrodes(args.electrodes, head.radius)
    sim = simulate(head, source, electrodes, noise=args.noise, seed=args.seed, grid_n=n)

    # the grid solver against the exact series, both average-referenced at the electrodes
    solution = solve_head(head, source, n=n)
    grid_el = solution.sample(electrodes)

    problem = ed_pinn(
        head,
        electrodes,
        sim.measurements,
        source=source,
        mode=args.mode,
        preset=preset,
        seed=args.seed,
    )
    start = time.perf_counter()
    problem.train(
        iterations=args.iterations,
        lbfgs=args.lbfgs,
        checkpoint=args.out / "checkpoint",
        progress=True,
    )
    train_time = time.perf_counter() - start
    pinn = evaluate(problem, sim)

    start = time.perf_counter()
    fit = dipole_fit(head, electrodes, sim.measurements, noise_std=sim.noise_std)
    fit_time = time.perf_counter() - start
    start = time.perf_counter()
    slor = sloreta(head, electrodes, sim.measurements, noise_std=sim.noise_std)
    sloreta_time = time.perf_counter() - start
    comparison = [
        {
            "method": f"ED-PINN ({args.mode}, {args.preset})",
            "localization_error_mm": 1e3 * pinn["localization_error_m"],
            "rel_l2_volume": pinn["rel_l2_volume"],
            "wall_time_s": train_time,
        },
        {
            "method": "dipole fit (exact series)",
            "localization_error_mm": 1e3 * localization_error(fit.position, source.position),
            "rel_l2_volume": None,
            "wall_time_s": fit_time,
        },
        {
            "method": "sLORETA (5 mm grid)",
            "localization_error_mm": 1e3 * localization_error(slor.peak, source.position),
            "rel_l2_volume": None,
            "wall_time_s": sloreta_time,
        },
        {
            "method": "ED-PINN paper (Sahoo & Rout 2025)",
            "localization_error_mm": 6.3,
            "rel_l2_volume": 2.14e4,
            "wall_time_s": None,
        },
    ]

    figures = _figures(args.out, head, source, electrodes, sim, problem, pinn)
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
            "mode": args.mode,
            "preset": preset.asdict(),
        },
        "metrics": {
            "ed_pinn": pinn,
            "electrode_range_V": float(np.ptp(sim.clean)),
            "noise_std_V": sim.noise_std,
            "grid_solver_rel_l2_electrodes": rel_l2(grid_el - grid_el.mean(), sim.clean),
            "grid_solver_iterations": solution.iterations,
        },
        "comparison": comparison,
        "timings": {"train_s": train_time, **problem.timings},
        "training": problem.trainer.report(),
        "figures": figures,
    }


def _figures(out, head, source, electrodes, sim, problem, pinn):
    names = []
    fig = plot_slice(head, sim.grid, sim.volume, title="true potential, z = 0", source=source)
    names.append(save_figure(fig.figure, out / "true_potential_slice.png").name)
    scalp = fibonacci_electrodes(2000, head.radius)
    reference = exact_potential(head, source, electrodes).mean()
    fig = plot_scalp_map(
        electrodes,
        sim.measurements,
        dense=(scalp, exact_potential(head, source, scalp) - reference),
        title="scalp potential and measurements",
    )
    names.append(save_figure(fig.figure, out / "scalp_map.png").name)

    inside = np.isfinite(sim.volume)
    predicted = np.full(sim.volume.shape, np.nan)
    offset = problem.predict(electrodes).mean()
    predicted[inside] = problem.predict(sim.grid.centers()[inside.ravel()]) - offset
    fig = plot_reconstruction(head, sim.grid, sim.volume, predicted, source=source)
    names.append(save_figure(fig, out / "reconstruction_slice.png").name)
    fig = plot_data_fit(sim.measurements, problem.predict(electrodes) - offset)
    names.append(save_figure(fig, out / "data_fit.png").name)

    side = 64
    axis = np.linspace(-head.radii[0], head.radii[0], side)
    plane = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
    plane = np.column_stack([plane, np.zeros(len(plane))])
    current = problem.source_estimate(plane)
    current[np.linalg.norm(plane, axis=1) >= head.radii[0]] = np.nan
    estimate = pinn.get("fitted_position_m", pinn.get("moment_position_m"))
    fig = plot_source_estimate(head, plane, current, source.position, estimate)
    names.append(save_figure(fig, out / "source_estimate.png").name)
    return names
