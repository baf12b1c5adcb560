"""What every PINN problem object shares: training its preset's schedule, and the timings."""


class Problem:
    """Base of the problem objects (``EDPINN``, ``EANDARN``, ``CNNPINN``): a subclass sets
    ``trainer`` (a :class:`~pinn_inverse.training.Trainer`) and ``preset`` (a
    :class:`~pinn_inverse.training.Preset`), and may change ``display_every``."""

    display_every = 500  # steps between two entries of the loss history

    def train(
        self,
        iterations=None,
        lbfgs=None,
        checkpoint=None,
        checkpoint_every=250,
        display_every=None,
        progress=True,
        callbacks=(),
    ):
        """Adam, then L-BFGS if the preset has any (the preset's
        :meth:`~pinn_inverse.training.Preset.stages`), on the shared trainer.

        Parameters
        ----------
        iterations : int, optional
            Adam steps (default: the preset's).
        lbfgs : int, optional
            L-BFGS iterations (default: the preset's).
        checkpoint : str or Path, optional
            Folder for checkpoints; a run of the same recipe interrupted there resumes from
            it and ends where an uninterrupted run would.
        checkpoint_every : int
            Adam steps between checkpoints.
        display_every : int, optional
            Steps between two entries of the loss history (default: the problem's).
        progress : bool
            Show a progress bar.
        callbacks : sequence of dde.callbacks.Callback

        Returns
        -------
        tuple
            DeepXDE's ``(losshistory, train_state)``.
        """
        return self.trainer.train(
            self.preset.stages(iterations, lbfgs),
            checkpoint=checkpoint,
            checkpoint_every=checkpoint_every,
            progress=progress,
            callbacks=callbacks,
            display_every=self.display_every if display_every is None else display_every,
        )

    @property
    def timings(self):
        """Steps and seconds per optimizer (``adam_step_s``, ``lbfgs_s``, ...)."""
        return self.trainer.timings_by_optimizer()
