"""Figures of the EIT stage: mesh, phantom and potential, reconstructions side by side."""

import numpy as np


def _show(ax, image, mask, title, **kwargs):
    shown = np.ma.masked_where(~mask, image)
    handle = ax.imshow(shown, **kwargs)
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
    return handle


def plot_mesh(mesh, ax=None):
    """The mesh with its electrodes drawn thick and numbered from 1."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4)) if ax is None else (ax.figure, ax)
    ax.triplot(*mesh.nodes.T, mesh.triangles, lw=0.3, color="0.6")
    for number, edges in enumerate(mesh.electrodes, start=1):
        points = mesh.nodes[np.append(edges[:, 0], edges[-1, 1])]
        ax.plot(*points.T, lw=3, color="C3")
        ax.annotate(str(number), 1.1 * points[len(points) // 2], ha="center", fontsize=7)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig


def plot_sample(sigma, potential, mask):
    """A phantom σ (S/m) beside its internal potential U (V), as in the paper's Fig. 3."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(7, 3.2))
    fig.colorbar(_show(axes[0], sigma, mask, "conductivity σ (S/m)", cmap="viridis"), ax=axes[0])
    fig.colorbar(_show(axes[1], potential, mask, "potential U (V)", cmap="RdBu_r"), ax=axes[1])
    return fig


def plot_reconstructions(truth, reconstructions, mask):
    """Truth and reconstructions side by side, each titled with its metrics.

    Parameters
    ----------
    truth : ndarray, shape (G, G)
        True conductivity image (S/m).
    reconstructions : dict
        name -> (image (G, G), metrics dict with ``ssim``, ``cc``, ``rie``).
    mask : ndarray of bool, shape (G, G)
    """
    import matplotlib.pyplot as plt

    n = 1 + len(reconstructions)
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 3.8))
    limits = dict(vmin=float(truth[mask].min()), vmax=float(truth[mask].max()), cmap="viridis")
    handle = _show(axes[0], truth, mask, "truth", **limits)
    for ax, (name, (image, m)) in zip(axes[1:], reconstructions.items(), strict=True):
        title = f"{name}\nSSIM {m['ssim']:.3f}  CC {m['cc']:.3f}\nRIE {m['rie']:.3f}"
        _show(ax, image, mask, title, **limits)
    fig.colorbar(handle, ax=axes, shrink=0.8, label="σ (S/m)")
    return fig


KTC_IMAGES = {"cnn_pinn": "CNN + PINN σ", "noser": "NOSER δσ", "tv": "TV δσ"}
"""Titles of the KTC methods' images: NOSER's and TV's are differences from the empty tank
(shown centred at 0), CNN + PINN's the conductivity itself (centred at its median)."""


def plot_ktc(panels, mask, scores):
    """KTC2023 targets: the truth, and per method its image and its segmentation with score.

    ``panels`` are ``(index, truth (256, 256), {method: (image, labels)})`` with methods of
    :data:`KTC_IMAGES`, in the order shown; ``scores[index][method]`` the KTC scores."""
    import matplotlib.pyplot as plt

    columns = 1 + 2 * max(len(images) for _, _, images in panels)
    fig, axes = plt.subplots(
        len(panels), columns, figsize=(2.6 * columns, 2.7 * len(panels)), squeeze=False
    )
    labels = dict(vmin=0, vmax=2, cmap="coolwarm")
    whole = np.ones_like(mask)
    for row, (index, truth, images) in enumerate(panels):
        _show(axes[row, 0], truth, whole, f"target {index}: truth", **labels)
        for col, (method, (image, segmentation)) in enumerate(images.items()):
            values = image[mask]
            centre = float(np.median(values)) if method == "cnn_pinn" else 0.0
            bound = float(np.abs(values - centre).max()) or 1.0
            title = KTC_IMAGES[method]
            _show(
                axes[row, 1 + 2 * col],
                image,
                mask,
                title,
                cmap="RdBu_r",
                vmin=centre - bound,
                vmax=centre + bound,
            )
            name = title.rsplit(" ", 1)[0]
            title = f"{name} segmented, score {scores[index][method]:.3f}"
            _show(axes[row, 2 + 2 * col], segmentation, whole, title, **labels)
    return fig


def plot_comparison(rows, mask):
    """Phantoms × methods on one colour scale, as the paper's Fig. 4: a row per phantom,
    the truth first, each reconstruction titled with its SSIM and CC.

    Parameters
    ----------
    rows : dict
        label -> (truth (G, G) in S/m, {name: (image (G, G) in S/m, metrics dict)}), every
        row with the same names.
    mask : ndarray of bool, shape (G, G)
    """
    import matplotlib.pyplot as plt

    names = list(next(iter(rows.values()))[1])
    fig, axes = plt.subplots(
        len(rows), 1 + len(names), figsize=(2.6 * (1 + len(names)), 2.7 * len(rows)), squeeze=False
    )
    truths = [truth[mask] for truth, _ in rows.values()]
    limits = dict(
        vmin=float(min(t.min() for t in truths)),
        vmax=float(max(t.max() for t in truths)),
        cmap="viridis",
    )
    for row, (label, (truth, images)) in zip(axes, rows.items(), strict=True):
        handle = _show(row[0], truth, mask, f"{label}: truth", **limits)
        for ax, name in zip(row[1:], names, strict=True):
            image, m = images[name]
            _show(ax, image, mask, f"{name}\nSSIM {m['ssim']:.3f}  CC {m['cc']:.3f}", **limits)
    fig.colorbar(handle, ax=axes, shrink=0.8, label="σ (S/m)")
    return fig


def plot_unet_history(val_history, train_history=None, steps_per_epoch=1):
    """Stage 1's loss (normalised mean squared error on the disk's pixels) by epoch: the
    validation loss after every epoch and, when given, the training loss.

    Parameters
    ----------
    val_history : sequence of float
        Validation loss after epochs 1, 2, … (``UNetStage.record["val_history"]``).
    train_history : list of dict, optional
        :attr:`pinn_inverse.training.Trainer.history` of the U-Net's training (``step``,
        ``loss``): the loss of the minibatch of that step.
    steps_per_epoch : int
        Minibatches per epoch, to put the training entries on the epoch axis.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.3))
    if train_history:
        epochs = [entry["step"] / steps_per_epoch for entry in train_history]
        ax.semilogy(epochs, [entry["loss"][0] for entry in train_history], label="training")
    ax.semilogy(range(1, len(val_history) + 1), val_history, label="validation")
    best = int(np.argmin(val_history))
    ax.plot(best + 1, val_history[best], "o", color="C1", label=f"best (epoch {best + 1})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("normalised MSE of U")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_potentials(true, predicted, mask):
    """The true potential image U (V), stage 1's prediction, and their difference."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(10, 3.1))
    limits = dict(vmin=float(true[mask].min()), vmax=float(true[mask].max()), cmap="RdBu_r")
    fig.colorbar(_show(axes[0], true, mask, "true U (V)", **limits), ax=axes[0])
    fig.colorbar(_show(axes[1], predicted, mask, "U-Net's U (V)", **limits), ax=axes[1])
    error = predicted - true
    bound = float(np.abs(error[mask]).max())
    handle = _show(axes[2], error, mask, "difference (V)", cmap="RdBu_r", vmin=-bound, vmax=bound)
    fig.colorbar(handle, ax=axes[2])
    return fig
