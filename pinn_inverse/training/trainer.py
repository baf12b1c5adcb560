"""The one training layer: a schedule of stages run on a ``dde.Model``, checkpointed.

:class:`Trainer` compiles each :class:`~pinn_inverse.training.recipe.Stage` for itself (its
optimizer, learning rate, loss weights and trainable variables) and runs it with DeepXDE's
``Model.train``. One counter, :attr:`Trainer.done`, counts the steps along the whole schedule
(every stage's nominal steps, across ``train`` calls and resumes); the collocation points are
redrawn (:class:`~pinn_inverse.sampling.Resampler`) and checkpoints written
(:mod:`~pinn_inverse.training.checkpoint`) on that count.
"""

import time
import warnings

import deepxde as dde
import numpy as np

from .. import backend
from . import checkpoint as ckpt
from .recipe import Stage


class Trainer:
    """Runs stages on a compiled-per-stage ``dde.Model``; problems expose it as ``trainer``.

    Parameters
    ----------
    model : dde.Model
        The problem's model (its ``data`` and network).
    loss_names : sequence of str
        A name per loss term, in DeepXDE's order (the PDE's terms, then each condition's).
    loss_weights : sequence of float
        The weight of each term; a stage may replace some (``Stage.weights``).
    variables : sequence of dde.Variable, optional
        External trainable variables (a trainable source); stages with ``variables=False``
        leave them as they are.
    resampler : Resampler, optional
        Redraws the collocation points during first-order stages.
    fingerprint : dict, optional
        The whole recipe (weights, learning rates, point counts, network, physics, a hash of
        the data, ...) that a checkpoint must match to be resumed.
    stage_rule : callable, optional
        ``stage_rule(stage) -> stage``: how the problem adapts every stage it is given (ED-PINN's
        dipole mode keeps L-BFGS off its data term), applied by :meth:`compile`.
    name : str
        The progress bar's label.
    """

    def __init__(
        self,
        model,
        loss_names,
        loss_weights,
        variables=(),
        resampler=None,
        fingerprint=None,
        stage_rule=None,
        name="PINN",
    ):
        self.model, self.data = model, model.data
        self.loss_names = list(loss_names)
        if len(self.loss_names) != len(loss_weights):
            raise ValueError(
                f"{len(loss_weights)} loss weights for {len(self.loss_names)} loss terms "
                f"({self.loss_names})"
            )
        self.loss_weights = dict(zip(self.loss_names, map(float, loss_weights), strict=True))
        self.variables = list(variables or [])
        self.resampler, self.fingerprint = resampler, dict(fingerprint or {})
        self.stage_rule, self.name = stage_rule, name
        self.schedule, self.done = [], 0
        self.history, self.timings = [], []
        # the divergence guard (Stage.rollback): the lowest loss evaluated in the stage that
        # runs ({"loss", "step", "weights", "variables"}; None: none yet), and each rollback
        self.guard, self.rollbacks = None, []
        self.stage, self.optimizer = None, None
        self._compiled = None  # index in the schedule of the stage the model is compiled for
        self._pending = None  # the stages of a call that raised, continued by an equal call

    # --- stages --------------------------------------------------------------------------

    def compile(self, stage):
        """Compile the model for ``stage`` (after the problem's ``stage_rule``); return the
        stage as compiled. A DeepXDE user who takes over ``model`` compiles through this."""
        self._compiled = None  # a stage run next compiles for itself again
        stage = self.stage_rule(stage) if self.stage_rule else stage
        unknown = set(stage.weights) - set(self.loss_names)
        if unknown:
            raise ValueError(
                f"stage weights for unknown loss terms {sorted(unknown)}; terms: {self.loss_names}"
            )
        weights = {**self.loss_weights, **stage.weights}
        if stage.optimizer == "adam":
            self.optimizer = backend.adam(stage.learning_rate)
            lr = stage.learning_rate if isinstance(self.optimizer, str) else None
        else:
            backend.set_lbfgs_iterations(stage.steps)
            self.optimizer, lr = "L-BFGS", None
        self.model.compile(
            self.optimizer,
            lr=lr,
            loss_weights=[weights[name] for name in self.loss_names],
            external_trainable_variables=self.variables if stage.variables else [],
            verbose=0,
        )
        self.stage = stage
        return stage

    def boundaries(self, schedule=None):
        """(first step, last step) of each stage of the schedule along :attr:`done`."""
        spans, begin = [], 0
        for stage in self.schedule if schedule is None else schedule:
            steps = stage.steps if isinstance(stage, Stage) else stage["steps"]
            spans.append((begin, begin + steps))
            begin += steps
        return spans

    def stages_covering(self, done, schedule):
        """How many stages of ``schedule`` the first ``done`` steps reach into."""
        return sum(begin < done for begin, _ in self.boundaries(schedule))

    # --- training ------------------------------------------------------------------------

    def train(
        self,
        stages,
        checkpoint=None,
        checkpoint_every=250,
        progress=True,
        callbacks=(),
        display_every=100,
    ):
        """Run ``stages`` in order after what the model has done so far.

        A second call continues training with its own stages (each compiled for itself). A
        call that raised (an interrupt) is continued by a call with the same stages.

        Parameters
        ----------
        stages : sequence of Stage
        checkpoint : str or Path, optional
            Folder for checkpoints. If it holds one of this recipe that is further along the
            schedule, training resumes from it: a resumed run ends where an uninterrupted one
            does. An L-BFGS stage is checkpointed at its end only (its line search keeps no
            resumable state) and reruns from its start if interrupted.
        checkpoint_every : int
            First-order steps between checkpoints.
        progress : bool
            Show a tqdm bar over the steps.
        callbacks : sequence of dde.callbacks.Callback
            Passed to every stage's ``Model.train``.
        display_every : int
            Steps between two entries of the loss history.

        Returns
        -------
        tuple
            DeepXDE's ``(losshistory, train_state)`` of the model.

        Raises
        ------
        FloatingPointError
            Where a loss evaluated (every ``display_every`` steps and at a stage's end) is not
            finite: an Adam stage stops there, without a checkpoint of the NaN weights, unless
            its ``rollback`` guard takes it back (:class:`Stage`). (PyTorch's L-BFGS raises
            its own RuntimeError on an infinite loss first.)
        """
        stages = list(stages)
        for stage in stages:
            if not isinstance(stage, Stage):
                raise TypeError(f"stages must be Stage objects, got {type(stage).__name__}")
        if self._pending is None or self._pending != stages:
            self.schedule.extend(stages)
        self._pending = stages
        if checkpoint is not None:
            self._resume(checkpoint)
        spans = self.boundaries()
        total = spans[-1][1] - self.done if spans else 0
        steps = _Steps(self, checkpoint, checkpoint_every, total if progress else None)
        try:
            for index, (stage, span) in enumerate(zip(self.schedule, spans, strict=True)):
                if span[1] > self.done:
                    self._run(index, stage, span, [steps, *callbacks], display_every, checkpoint)
        finally:
            steps.close()
        self._pending = None
        return self.model.losshistory, self.model.train_state

    def _run(self, index, stage, span, callbacks, display_every, folder):
        end = span[1]  # the stage's last step along the schedule
        if self._compiled != index:
            self.compile(stage)
            self._compiled = index
        begin, step0 = self.done, self.model.train_state.step
        entries = len(self.model.losshistory.steps)
        start = callbacks[0].begin_stage(index, span)
        if self.stage.first_order:
            iterations = end - self.done
            self.model.train(
                iterations=iterations, display_every=display_every, callbacks=callbacks, verbose=0
            )
        else:
            self.model.train(display_every=display_every, callbacks=callbacks[1:], verbose=0)
        seconds = time.perf_counter() - start
        _check_finite(self.model.train_state, self.loss_names, index, stage)
        taken = int(self.model.train_state.step - step0)
        first = callbacks[0].first_step_s if self.stage.first_order else None
        self.done = end
        history = self.model.losshistory
        for step, loss in zip(history.steps[entries:], history.loss_train[entries:], strict=True):
            self.history.append(
                {
                    "step": int(begin + step - step0),
                    "stage": index,
                    "loss": [float(v) for v in np.ravel(loss)],
                }
            )
        self.timings.append(
            {
                "stage": index,
                "optimizer": stage.optimizer,
                "steps": taken,
                "seconds": seconds,
                # the first step includes building the graph (seconds on TensorFlow, for every
                # compile): the step time is that of the others
                "first_step_s": first,
                "step_s": (seconds - first) / (taken - 1)
                if first and taken > 1
                else seconds / max(taken, 1),
            }
        )
        callbacks[0].advance_to(self.done)
        if folder is not None:
            ckpt.save(folder, self)

    def _resume(self, folder):
        record = ckpt.read_record(folder)
        if record is None:
            return
        ckpt.check(record, folder, self)
        if record["done"] <= self.done:
            return  # this trainer is already there (the checkpoint is its own)
        index = self.stages_covering(record["done"], record["schedule"]) - 1
        self.compile(self.schedule[index])
        self._compiled = index
        ckpt.restore(folder, record, self)
        # DeepXDE's step counter where the uninterrupted run has it: its losses (the history,
        # the divergence guard) are evaluated every display_every of these steps
        begin = self.boundaries(record["schedule"])[index][0]
        taken = sum(t["steps"] for t in record["timings"])
        self.model.train_state.step = taken + record["done"] - begin
        self.done = record["done"]
        self.history, self.timings = record["history"], record["timings"]
        self.rollbacks = record["rollbacks"]

    # --- results ---------------------------------------------------------------------------

    def variable_values(self):
        """Current values of the external trainable variables."""
        return backend.variable_values(self.variables)

    def final_losses(self):
        """The last loss history entry by term name (weighted, as trained)."""
        if not self.history:
            return {}
        return dict(zip(self.loss_names, self.history[-1]["loss"], strict=False))

    def timings_by_optimizer(self):
        """Steps and seconds summed per optimizer: ``adam_steps``, ``adam_s``,
        ``adam_step_s`` (without each stage's first step, which builds the graph),
        ``lbfgs_steps``, ``lbfgs_s``, ``lbfgs_step_s`` (present for optimizers that ran)."""
        out = {}
        for name, key in (("adam", "adam"), ("L-BFGS", "lbfgs")):
            rows = [t for t in self.timings if t["optimizer"] == name]
            if rows:
                steps, seconds = sum(t["steps"] for t in rows), sum(t["seconds"] for t in rows)
                out.update({f"{key}_steps": steps, f"{key}_s": seconds})
                out[f"{key}_step_s"] = sum(t["step_s"] * t["steps"] for t in rows) / max(steps, 1)
        return out

    def report(self):
        """The training part of a JSON report: schedule, steps, per-stage timings, losses."""
        return {
            "schedule": [stage.asdict() for stage in self.schedule],
            "steps": self.done,
            "stages": self.timings,
            "loss_names": self.loss_names,
            "final_loss": self.final_losses(),
            "rollbacks": self.rollbacks,
            **self.timings_by_optimizer(),
        }


def _diverged(loss):
    """Whether a loss evaluated (None: none yet) is not finite."""
    return loss is not None and not np.all(np.isfinite(loss))


def _check_finite(state, names, index, stage):
    """Raise where the last evaluated loss is not finite: the weights are NaN from there."""
    if _diverged(state.loss_train):
        loss = np.ravel(state.loss_train)
        terms = ", ".join(f"{n} {v:.3g}" for n, v in zip(names, loss, strict=False))
        raise FloatingPointError(
            f"training diverged: the loss is not finite at step {state.step} ({terms}; stage "
            f"{index}, {stage.optimizer}). Try a lower learning rate or another seed (an "
            "initialisation the residual cannot recover from)"
        )


class _Steps(dde.callbacks.Callback):
    """The trainer's own callback: counts first-order steps along the schedule, guards against
    divergence (``Stage.rollback``), redraws the collocation points, writes checkpoints and
    moves the progress bar, in that order."""

    def __init__(self, trainer, folder, every, total):
        super().__init__()
        self.trainer, self.folder, self.every = trainer, folder, every
        self.bar = None
        if total is not None:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=trainer.name, unit="step", mininterval=1.0)
        self.start = trainer.done
        self.stage_start, self.first_step_s = None, None
        self.index, self.span = None, None
        self.entries = 0  # entries of DeepXDE's loss history seen: one per loss evaluated

    def begin_stage(self, index, span):
        """Start timing stage ``index`` of the schedule, which covers the steps ``span``
        (first, last) (its first step timed apart); return the start time."""
        self.stage_start, self.first_step_s = time.perf_counter(), None
        self.index, self.span = index, span
        return self.stage_start

    def on_train_begin(self):
        trainer = self.trainer
        self.entries = len(self.model.losshistory.steps)
        if trainer.done == self.span[0]:
            trainer.guard = None  # a fresh stage; one resumed mid-way keeps its checkpoint's
        if trainer.stage.rollback and trainer.guard is None:
            self._guard()  # the loss DeepXDE evaluated before the first step

    def on_epoch_end(self):
        if self.first_step_s is None:
            self.first_step_s = time.perf_counter() - self.stage_start
        trainer = self.trainer
        trainer.done += 1
        entries = len(self.model.losshistory.steps)
        evaluated, self.entries = entries > self.entries, entries  # DeepXDE's _test ran
        if trainer.stage.rollback and evaluated and self._guard():
            self.model.stop_training = True  # rolled back: the stage ends here
            return
        if _diverged(self.model.train_state.loss_train):
            self.model.stop_training = True  # diverged: no checkpoint of NaN weights
            return
        if trainer.resampler is not None and trainer.resampler.due(trainer.done):
            trainer.resampler.resample(trainer.data)
        if self.folder is not None and trainer.done % self.every == 0:
            ckpt.save(self.folder, trainer)
        self.advance_to(trainer.done)

    def _guard(self):
        """Compare the loss just evaluated with the stage's lowest (``trainer.guard``): keep a
        copy of the weights at a new lowest, or roll back to it (return True) where the loss is
        not finite or above ``rollback`` times it."""
        trainer, model = self.trainer, self.model
        loss = float(np.sum(model.train_state.loss_train))
        best = trainer.guard
        if best is not None and not loss <= trainer.stage.rollback * best["loss"]:  # NaN too
            backend.set_network_weights(model.net, best["weights"])
            for variable, value in zip(trainer.variables, best["variables"], strict=True):
                backend.assign(variable, value)
            model._test(verbose=0)  # the restored weights' losses, in the history after the
            # spike's (DeepXDE's own evaluation, as at every display step)
            event = {
                "stage": self.index,
                "step": trainer.done,
                "loss": loss if np.isfinite(loss) else None,  # None: not finite
                "restored_step": best["step"],
                "restored_loss": best["loss"],
            }
            trainer.rollbacks.append(event)
            warnings.warn(
                f"{trainer.name}: the loss rose to {loss:.3g} at step {trainer.done}, above "
                f"{trainer.stage.rollback:g} × its lowest in the stage ({best['loss']:.3g}, step "
                f"{best['step']}): the weights of step {best['step']} are restored and stage "
                f"{self.index} ends here",
                RuntimeWarning,
                stacklevel=2,
            )
            return True
        if np.isfinite(loss) and (best is None or loss < best["loss"]):
            trainer.guard = {
                "loss": loss,
                "step": trainer.done,
                "weights": backend.network_weights(model.net),
                "variables": trainer.variable_values().tolist(),
            }
        return False

    def advance_to(self, done):
        if self.bar is not None:
            self.bar.update(done - self.start - self.bar.n)

    def close(self):
        if self.bar is not None:
            self.bar.close()
