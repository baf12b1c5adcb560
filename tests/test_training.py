"""The training layer on a custom DeepXDE problem: stages, resampling, checkpoints, resume."""

import deepxde as dde
import numpy as np
import pytest

from pinn_inverse import backend
from pinn_inverse.sampling import Resampler
from pinn_inverse.training import Preset, Stage, Trainer
from pinn_inverse.training.checkpoint import read_record


def poisson(seed=0, period=1, weight=1.0):
    """−u'' = π² sin(πx) on (−1, 1), u(±1) = 0, with a trainable source amplitude."""
    dde.config.set_random_seed(seed)
    amplitude = dde.Variable(0.5)
    geom = dde.geometry.Interval(-1, 1)

    def pde(x, y):
        return -dde.grad.hessian(y, x) - amplitude * np.pi**2 * backend.sin(np.pi * x)

    bc = dde.icbc.DirichletBC(geom, lambda x: 0.0, lambda x, on: on)
    data_points = np.array([[-0.5], [0.5]])
    observe = dde.icbc.PointSetBC(data_points, np.sin(np.pi * data_points))
    resampler = Resampler(period=period, seed=seed)
    with resampler.stream():
        data = dde.data.PDE(
            geom, pde, [bc, observe], num_domain=32, num_boundary=2, train_distribution="pseudo"
        )
    net = dde.nn.FNN([1, 16, 16, 1], "tanh", "Glorot normal")
    model = dde.Model(data, net)
    return Trainer(
        model,
        ["pde", "bc", "data"],
        [1.0, 1.0, weight],
        variables=[amplitude],
        resampler=resampler,
        fingerprint={"weights": {"data": weight}, "seed": seed},
        name="poisson",
    )


STAGES = [Stage("adam", 20, 1e-3), Stage("L-BFGS", 5)]


@pytest.mark.network
def test_points_are_redrawn_every_period_and_differ_between_seeds():
    trainer = poisson(seed=0, period=2)
    first = trainer.data.train_x_all.copy()
    trainer.train([Stage("adam", 1, 1e-3)], progress=False)
    np.testing.assert_array_equal(trainer.data.train_x_all, first)  # not due after step 1
    trainer.train([Stage("adam", 1, 1e-3)], progress=False)
    assert not np.any(np.isin(trainer.data.train_x_all[2:], first[2:]))  # all new at step 2
    other = poisson(seed=1).data.train_x_all
    assert not np.any(np.isin(other[2:], first[2:]))
    np.testing.assert_array_equal(poisson(seed=0).data.train_x_all, first)  # seeded


@pytest.mark.network
def test_a_second_call_compiles_its_stages_again_and_counts_steps_once():
    trainer = poisson()
    trainer.train(STAGES, progress=False)
    assert trainer.done == 25 and trainer.optimizer == "L-BFGS"
    trainer.train([Stage("adam", 7, 1e-3)], progress=False)
    assert trainer.done == 32 and trainer.stage.optimizer == "adam"
    assert [t["optimizer"] for t in trainer.timings] == ["adam", "L-BFGS", "adam"]
    assert trainer.timings[-1]["steps"] == 7
    assert trainer.report()["adam_steps"] == 27


@pytest.mark.network
def test_stage_weights_and_variables():
    trainer = poisson()
    start = trainer.variable_values()
    trainer.train([Stage("adam", 5, 1e-2, weights={"data": 0.0}, variables=False)], progress=False)
    np.testing.assert_array_equal(trainer.variable_values(), start)
    assert trainer.model.loss_weights == [1.0, 1.0, 0.0]
    trainer.train([Stage("adam", 5, 1e-2)], progress=False)
    assert np.all(trainer.variable_values() != start)
    with pytest.raises(ValueError, match="unknown loss terms \\['flux'\\]"):
        trainer.compile(Stage("adam", 1, 1e-3, weights={"flux": 1.0}))


class Interrupt(dde.callbacks.Callback):
    def __init__(self, trainer, at):
        super().__init__()
        self.trainer, self.at = trainer, at

    def on_epoch_end(self):
        if self.trainer.done == self.at:
            raise KeyboardInterrupt


def interrupted(stages, folder, at, callbacks=lambda trainer: [], **options):
    """A fresh problem trained on ``stages`` with checkpoints in ``folder``, interrupted after
    step ``at`` (``callbacks(trainer)`` are run before the interruption)."""
    trainer = poisson()
    with pytest.raises(KeyboardInterrupt):
        trainer.train(
            stages,
            checkpoint=folder,
            progress=False,
            callbacks=[*callbacks(trainer), Interrupt(trainer, at)],
            **options,
        )
    return trainer


@pytest.mark.network
def test_resume_after_an_interruption_ends_where_an_uninterrupted_run_does(tmp_path):
    x = np.linspace(-1, 1, 9)[:, None]
    straight = poisson()
    straight.train(STAGES, progress=False)
    interrupted(STAGES, tmp_path, 13, checkpoint_every=5)
    resumed = poisson()
    resumed.train(STAGES, checkpoint=tmp_path, checkpoint_every=5, progress=False)
    assert resumed.done == 25
    # the 10 Adam steps after the checkpoint at step 10, then L-BFGS
    assert [(t["stage"], t["steps"]) for t in resumed.timings][0] == (0, 10)
    np.testing.assert_allclose(
        resumed.model.predict(x), straight.model.predict(x), rtol=1e-5, atol=1e-7
    )
    np.testing.assert_allclose(resumed.variable_values(), straight.variable_values(), rtol=1e-5)
    # (checked once: without Adam's moments or the collocation stream, the predictions differ)
    assert resumed.history[-1]["step"] == straight.history[-1]["step"]


@pytest.mark.network
def test_an_interrupted_call_is_continued_by_the_same_call(tmp_path):
    trainer = poisson()
    with pytest.raises(KeyboardInterrupt):
        trainer.train(STAGES, progress=False, callbacks=[Interrupt(trainer, 8)])
    trainer.compile(Stage("L-BFGS", 2))  # a user's compile in between: Adam compiles again
    trainer.train(STAGES, progress=False)
    assert trainer.done == 25 and len(trainer.schedule) == 2
    assert [t["optimizer"] for t in trainer.timings] == ["adam", "L-BFGS"]
    assert trainer.timings[0]["steps"] == 12


@pytest.mark.network
def test_a_checkpoint_of_another_recipe_or_schedule_is_refused(tmp_path):
    poisson().train(STAGES, checkpoint=tmp_path, progress=False)
    with pytest.raises(ValueError, match="weights.data: 1.0 in the checkpoint, 2.0 here"):
        poisson(weight=2.0).train(STAGES, checkpoint=tmp_path, progress=False)
    with pytest.raises(ValueError, match="does not follow"):
        poisson().train([Stage("adam", 30, 1e-3)], checkpoint=tmp_path, progress=False)
    # the same recipe and schedule: nothing left to run, the same weights
    again = poisson()
    again.train(STAGES, checkpoint=tmp_path, progress=False)
    assert again.done == 25 and len(again.timings) == 2


def test_preset_stages_and_replace():
    preset = Preset(learning_rate=1e-3, iterations=100, lbfgs=10)
    assert [s.optimizer for s in preset.stages()] == ["adam", "L-BFGS"]
    assert [s.steps for s in preset.stages(iterations=5, lbfgs=0)] == [5]
    with pytest.raises(TypeError, match="no field \\['iteration'\\]"):
        preset.replace(iteration=3)
    with pytest.raises(ValueError, match="positive learning_rate"):
        Stage("adam", 10)


def test_a_tuple_of_learning_rates_is_a_piecewise_constant_schedule():
    preset = Preset(learning_rate=(3e-3, 1e-3, 3e-4), iterations=100, lbfgs=10)
    stages = preset.stages()
    assert [(s.optimizer, s.steps, s.learning_rate) for s in stages] == [
        ("adam", 34, 3e-3),
        ("adam", 33, 1e-3),
        ("adam", 33, 3e-4),
        ("L-BFGS", 10, None),
    ]
    assert preset.first_stage() == Stage("adam", 1, 3e-3)
    as_list = preset.replace(learning_rate=[3e-3, 1e-3, 3e-4])  # a sweep SPEC's JSON list
    assert as_list.stages() == stages
    assert [s.steps for s in preset.stages(iterations=2, lbfgs=0)] == [1, 1]  # none empty
    with pytest.raises(ValueError, match="empty tuple"):
        Preset(learning_rate=()).stages()


@pytest.mark.network
def test_a_diverged_loss_stops_training_with_a_clear_error(tmp_path):
    trainer = poisson()
    trainer.train([Stage("adam", 3, 1e-3)], checkpoint=tmp_path, progress=False)
    weights = {"data": float("inf")}  # an infinite loss: the weights turn NaN at once
    stage = Stage("adam", 50, 1e-3, weights=weights)
    with pytest.raises(FloatingPointError, match=r"training diverged: .* data (inf|nan)"):
        trainer.train([stage], tmp_path, checkpoint_every=2, progress=False, display_every=10)
    assert trainer.done < 3 + 50  # stopped at the first loss evaluated, not run to the end
    assert read_record(tmp_path)["done"] == 3  # no checkpoint of the NaN weights


class Kick(dde.callbacks.Callback):
    """Multiplies the network's weights by ``factor`` after step ``at``: a planted blow-up."""

    def __init__(self, trainer, at, factor=30.0):
        super().__init__()
        self.trainer, self.at, self.factor = trainer, at, factor

    def on_epoch_end(self):
        if self.trainer.done == self.at:
            weights = backend.network_weights(self.model.net)
            backend.set_network_weights(self.model.net, [w * self.factor for w in weights])


def trained(steps):
    """A fresh problem after ``steps`` Adam steps at 1e-2 (the guarded runs' weights then)."""
    trainer = poisson()
    trainer.train([Stage("adam", steps, 1e-2)], progress=False, display_every=5)
    return trainer


# at this rate the loss falls at each evaluation (steps 0, 5, 10): the lowest before the kick
# is step 10's
GUARDED = [Stage("adam", 30, 1e-2, rollback=10.0)]
X = np.linspace(-1, 1, 9)[:, None]


@pytest.mark.network
def test_a_loss_spike_rolls_back_to_the_lowest_weights_and_ends_the_stage():
    unguarded = poisson()
    unguarded.train(
        [Stage("adam", 30, 1e-2)], progress=False, display_every=5, callbacks=[Kick(unguarded, 12)]
    )
    before = trained(10).history[-1]["loss"]
    assert sum(unguarded.history[-1]["loss"]) > 100 * sum(before)  # the kick is a blow-up

    trainer = poisson()
    with pytest.warns(RuntimeWarning, match="weights of step 10 are restored and stage 0 ends"):
        trainer.train(GUARDED, progress=False, display_every=5, callbacks=[Kick(trainer, 12)])
    (event,) = trainer.rollbacks
    assert (event["stage"], event["step"], event["restored_step"]) == (0, 15, 10)
    assert event["loss"] > 100 * event["restored_loss"]
    np.testing.assert_allclose(event["restored_loss"], sum(before), rtol=1e-5)
    assert trainer.done == 30 and trainer.timings[0]["steps"] == 15
    reference = trained(10)  # the weights and the source amplitude of step 10
    np.testing.assert_allclose(trainer.model.predict(X), reference.model.predict(X), rtol=1e-5)
    np.testing.assert_allclose(trainer.variable_values(), reference.variable_values(), rtol=1e-6)
    # the history holds the spike, then the restored weights' loss at the same step
    assert [h["step"] for h in trainer.history[-2:]] == [15, 15]
    assert trainer.report()["rollbacks"] == [event]
    trainer.train([Stage("adam", 5, 1e-4)], progress=False)  # the next stage goes on from there
    assert trainer.done == 35 and sum(trainer.history[-1]["loss"]) < 2 * sum(before)


@pytest.mark.network
def test_a_nan_loss_rolls_back_instead_of_raising():
    trainer = poisson()
    with pytest.warns(RuntimeWarning, match="rose to nan at step 15"):
        trainer.train(
            GUARDED, progress=False, display_every=5, callbacks=[Kick(trainer, 12, np.nan)]
        )
    assert trainer.rollbacks[0]["loss"] is None and trainer.rollbacks[0]["restored_step"] == 10
    assert np.all(np.isfinite(trainer.model.predict(X)))


@pytest.mark.network
def test_a_guarded_stage_resumes_to_the_same_rollback(tmp_path):
    straight = poisson()
    with pytest.warns(RuntimeWarning):
        straight.train(GUARDED, progress=False, display_every=5, callbacks=[Kick(straight, 13)])
    interrupted(GUARDED, tmp_path, 14, lambda t: [Kick(t, 13)], checkpoint_every=4, display_every=5)
    assert read_record(tmp_path)["guard"]["step"] == 10  # the checkpoint of step 12 keeps it
    resumed = poisson()
    with pytest.warns(RuntimeWarning, match="weights of step 10 are restored"):
        resumed.train(
            GUARDED,
            checkpoint=tmp_path,
            checkpoint_every=4,
            progress=False,
            display_every=5,
            callbacks=[Kick(resumed, 13)],
        )
    assert resumed.rollbacks == straight.rollbacks
    np.testing.assert_allclose(resumed.model.predict(X), straight.model.predict(X), rtol=1e-5)


def test_rollback_is_a_factor_above_one_on_adam_stages():
    stages = Preset(iterations=10, lbfgs=5, rollback=100.0).stages()
    assert [s.rollback for s in stages] == [100.0, 0.0]
    for bad in (0.5, 1.0, -2.0):
        with pytest.raises(ValueError, match="rollback must be 0 \\(off\\) or a factor above 1"):
            Stage("adam", 10, 1e-3, rollback=bad)
    with pytest.raises(ValueError, match="Adam stages only"):
        Stage("L-BFGS", 10, rollback=10.0)
