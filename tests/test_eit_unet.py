"""EIT stage 1: the U-Net against a numpy forward pass, its batch-normalisation statistics,
the normalisation, and training (validation loss, seeds, resume, cache, bad input)."""

import json

import deepxde as dde
import numpy as np
import pytest

from pinn_inverse import backend
from pinn_inverse.eit import patterns
from pinn_inverse.eit.cnn_pinn import UNetConfig, UNetStage, train_unet, unet_stage
from pinn_inverse.eit.cnn_pinn.unet_stage import Minibatches, Normalisation
from pinn_inverse.eit.dataset import add_noise, make_dataset
from pinn_inverse.nets.unet import EPSILON, UNet, unet_layout, unet_weights

# as the cpu preset: the rate drops tenfold (after epoch 8, so that training and its
# resumption cross a stage boundary), and the inputs get 20 dB noise
CONFIG = UNetConfig(base_channels=8, depth=2, epochs=10, batch_size=4, learning_rate=3e-3,
                    decay_epochs=(8,), noise_db=20.0)  # fmt: skip


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    # 43 training samples: 10 minibatches of 4 per epoch; 5 validation, 8 noisy test samples
    folder = tmp_path_factory.mktemp("eit_data")
    return make_dataset(n=48, n_test=8, image_size=16, h=0.1, cache_dir=folder, workers=1,
                        progress=False)  # fmt: skip


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("unet_cache")


@pytest.fixture(scope="module")
def trained(dataset, cache):
    return train_unet(dataset, CONFIG, seed=0, cache=cache, progress=False)


def reference_forward(x, params, depth, G, mask):
    """The U-Net in numpy, inference mode with the initial statistics (mean 0, variance 1)."""

    def conv(z, k):  # "same" cross-correlation, k (kh, kw, in, out)
        p, (H, W) = k.shape[0] // 2, z.shape[1:3]
        zp = np.pad(z, ((0, 0), (p, p), (p, p), (0, 0)))
        return sum(zp[:, a : a + H, b : b + W] @ k[a, b] for a in range(k.shape[0])
                   for b in range(k.shape[1]))  # fmt: skip

    def cbr(z, p):
        for k in ("kernel1", "kernel2"):
            z = np.maximum(conv(z, p[k]) / np.sqrt(1 + EPSILON), 0)
        return z

    def up(z, k):  # 2 × 2 stride 2, k (2, 2, out, in): each pixel becomes a 2 × 2 block
        n, H, W, _ = z.shape
        out = np.zeros((n, 2 * H, 2 * W, k.shape[2]))
        for a in range(2):
            for b in range(2):
                out[:, a::2, b::2] = z @ k[a, b].T
        return out

    z = (x @ params[0]["kernel"] + params[0]["bias"]).reshape(-1, G, G, 1)
    skips = []
    for p in params[1 : depth + 1]:
        z = cbr(z, p)
        skips.append(z)
        n, H, W, c = z.shape
        z = z.reshape(n, H // 2, 2, W // 2, 2, c).max(axis=(2, 4))
    z = cbr(z, params[depth + 1])
    ups = params[depth + 2 : -1]
    for p_up, p_cbr, skip in zip(ups[0::2], ups[1::2], reversed(skips), strict=True):
        z = cbr(np.concatenate([up(z, p_up["kernel"]), skip], axis=-1), p_cbr)
    y = conv(z, params[-1]["kernel"]) + params[-1]["bias"]
    return y.reshape(len(x), -1) * mask.ravel()


def compiled(net):
    model = dde.Model(None, net)
    model.compile("adam", lr=1e-3, verbose=0)
    return model


def disk(G):
    centres = (np.arange(G) + 0.5) / G * 2 - 1
    return np.hypot(*np.meshgrid(centres, centres)) < 1


@pytest.mark.network
def test_unet_is_the_numpy_unet_and_zero_outside_the_mask():
    G, depth, mask = 16, 2, disk(16)
    net = UNet(16, G, base_channels=4, depth=depth, mask=mask, seed=3)
    x = np.random.default_rng(0).standard_normal((5, 16)).astype(np.float32)
    y = compiled(net).predict(x)
    assert y.shape == (5, G * G)
    assert np.all(y[:, ~mask.ravel()] == 0)
    params = unet_weights(unet_layout(16, G, 4, depth), seed=3)
    expected = reference_forward(x.astype(float), params, depth, G, mask)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    other = compiled(UNet(16, G, base_channels=4, depth=depth, mask=mask, seed=4)).predict(x)
    assert np.abs(other - y).max() > 0.1 * np.abs(y).max()


@pytest.mark.network
def test_batch_norm_statistics_move_once_per_armed_pass():
    net = UNet(16, 8, base_channels=2, depth=1, momentum=0.75, seed=0)
    model = compiled(net)
    x = np.random.default_rng(1).standard_normal((6, 16)).astype(np.float32)
    target = np.zeros((6, 64), np.float32)
    model.data = Minibatches(x, target, x, target, np.ones((8, 8), bool), 6)
    start = net.state()

    def training_pass():  # what DeepXDE's Model._test evaluates: the loss in training mode
        model._outputs_losses(True, x, target, None)
        return net.state()

    # every pass moves them (mode "every", the default), by (1 − m) × the batch's statistics:
    # the first BN's batch mean is that of the first convolution of the lifted image
    once = training_pass()
    moved = [k for k in start if not np.array_equal(start[k], once[k])]
    assert len(moved) == 4 * 3 + 0  # mean and variance of 2 BNs in each of 3 CBR blocks
    params = unet_weights(unet_layout(16, 8, 2, 1), seed=0)
    lifted = (x @ params[0]["kernel"] + params[0]["bias"]).reshape(-1, 8, 8, 1)
    padded = np.pad(lifted, ((0, 0), (1, 1), (1, 1), (0, 0)))
    conv = sum(padded[:, a : a + 8, b : b + 8] @ params[1]["kernel1"][a, b]
               for a in range(3) for b in range(3))  # fmt: skip
    expected = (1 - 0.75) * conv.mean(axis=(0, 1, 2))
    assert any(np.allclose(once[k], expected, rtol=1e-4, atol=1e-6) for k in moved)
    twice = training_pass()
    assert all(not np.array_equal(once[k], twice[k]) for k in moved)
    # mode "next": the next pass only
    net.update_statistics("next")
    armed = training_pass()
    assert all(not np.array_equal(twice[k], armed[k]) for k in moved)
    after = training_pass()
    assert all(np.array_equal(armed[k], after[k]) for k in moved)
    # inference (predict) never moves them
    model.predict(x)
    assert all(np.array_equal(after[k], v) for k, v in net.state().items())


@pytest.mark.network
def test_unet_refuses_bad_sizes_and_states():
    with pytest.raises(ValueError, match="divisible by 2\\*\\*depth = 8"):
        UNet(16, 20, depth=3)
    with pytest.raises(ValueError, match="mask must have shape \\(16, 16\\)"):
        UNet(16, 16, depth=2, mask=np.ones((8, 8), bool))
    with pytest.raises(ValueError, match="momentum"):
        UNet(16, 16, depth=2, momentum=1.0)
    with pytest.raises(ValueError, match="accepted: 'every', 'next'"):
        UNet(16, 16, depth=2).update_statistics("always")
    with pytest.raises(ValueError, match="another architecture"):
        UNet(16, 16, base_channels=4, depth=2).load_state(UNet(16, 16, 2, depth=2).state())


@pytest.mark.network
def test_masked_loss_is_the_mean_over_the_disk(dataset):
    mask = dataset.mask
    rng = np.random.default_rng(0)
    outputs, targets = (rng.standard_normal((4, mask.size)) * mask.ravel() for _ in range(2))
    data = Minibatches(outputs, targets, outputs, targets, mask, 2)
    [loss] = data.losses(backend.as_tensor(targets), backend.as_tensor(outputs), None, None, None)
    expected = np.mean((outputs[:, mask.ravel()] - targets[:, mask.ravel()]) ** 2)
    assert float(backend.to_numpy(loss)) == pytest.approx(expected, rel=1e-5)


def test_normalisation_round_trip(dataset):
    mask = dataset.mask
    norm = Normalisation.of(dataset.train, mask)
    x = norm.inputs(dataset.train["dV"])
    np.testing.assert_allclose(x.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=0), 1, rtol=1e-4)
    y = norm.targets(dataset.train["U"], mask)
    assert y[:, mask.ravel()].mean() == pytest.approx(0, abs=1e-5)
    assert y[:, mask.ravel()].std() == pytest.approx(1, rel=1e-4)
    assert np.all(y[:, ~mask.ravel()] == 0)
    np.testing.assert_allclose(norm.images(y, mask), dataset.train["U"], rtol=1e-5, atol=1e-6)
    assert Normalisation(**json.loads(json.dumps(norm.asdict()))) == norm


def test_minibatches_cover_the_epoch_and_are_seeded():
    x = np.arange(10, dtype=np.float32)[:, None]
    mask = np.ones((1, 1), bool)
    data = Minibatches(x, x, x, x, mask, batch_size=3, seed=0)
    seen = []
    for _ in range(data.steps_per_epoch):
        seen.append(data.train_next_batch()[0].ravel())
        np.testing.assert_array_equal(data.train_next_batch()[0].ravel(), seen[-1])  # idempotent
        data.resample(data)
    drawn = np.concatenate(seen)
    assert len(set(drawn)) == 9 and data.epoch == 1  # 3 batches of 3, none twice
    again = Minibatches(x, x, x, x, mask, batch_size=3, seed=0)
    np.testing.assert_array_equal(again.train_next_batch()[0].ravel(), seen[0])
    other = Minibatches(x, x, x, x, mask, batch_size=3, seed=1)
    assert not np.array_equal(other.order, again.order)
    with pytest.raises(ValueError, match="larger than the 10 training samples"):
        Minibatches(x, x, x, x, mask, batch_size=11)


def test_training_noise_is_the_test_data_noise_fresh_per_batch(dataset):
    norm = Normalisation.of(dataset.train, dataset.mask)
    dV = dataset.train["dV"]
    # add_noise at 20 dB: noise of a tenth of the change's rms, here in normalised units
    draws = [add_noise(dV, 20.0, np.random.default_rng(i), reference=dataset.dV_ref) - dV
             for i in range(2000)]  # fmt: skip
    measured = np.std(draws, axis=0) / np.array(norm.dV_std)
    np.testing.assert_allclose(norm.noise(dV, dataset.dV_ref, 20.0), measured, rtol=0.1)
    n, L = 200, 4
    x, y, mask = np.zeros((n, L), np.float32), np.zeros((n, 1), np.float32), np.ones((1, 1), bool)
    noise = np.full((n, L), 0.5, np.float32)
    data = Minibatches(x, y, x, y, mask, batch_size=100, seed=0, noise=noise)
    first = data.train_next_batch()[0]
    assert np.std(first) == pytest.approx(0.5, rel=0.1)
    data.resample(data)
    assert not np.allclose(data.train_next_batch()[0], first)  # fresh noise per batch
    again = Minibatches(x, y, x, y, mask, batch_size=100, seed=0, noise=noise)
    np.testing.assert_array_equal(again.train_next_batch()[0], first)
    with pytest.raises(ValueError, match="noise_db"):
        UNetConfig(noise_db=0)


def test_decay_epochs_make_stages_of_falling_rates():
    config = UNetConfig(epochs=10, learning_rate=1e-3, decay_epochs=[4, 8])
    assert config.decay_epochs == (4, 8)  # a tuple, also from JSON's list
    stages = config.stages(steps_per_epoch=5)
    assert [s.steps for s in stages] == [20, 20, 10]
    assert [s.learning_rate for s in stages] == pytest.approx([1e-3, 1e-4, 1e-5])
    [constant] = UNetConfig(epochs=10).stages(5)
    assert (constant.steps, constant.learning_rate) == (50, 1e-3)
    for bad in ((8, 4), (4, 4), (10,), (0,)):
        with pytest.raises(ValueError, match="decay_epochs"):
            UNetConfig(epochs=10, decay_epochs=bad)


@pytest.mark.network
def test_early_stopping_stops_after_patience_and_keeps_the_best_weights(monkeypatch):
    net = UNet(16, 8, base_channels=2, depth=1, seed=0)
    model = compiled(net)
    x = np.random.default_rng(2).standard_normal((3, 16)).astype(np.float32)
    validation = unet_stage.Validation(model, x, np.zeros((3, 64)), 1.0, patience=2)
    losses = iter([3.0, 1.0, 2.0, 1.5, 0.5])
    monkeypatch.setattr(unet_stage.Validation, "loss", lambda self: next(losses))
    predictions = []
    for epoch in range(1, 6):
        net.load_state({k: v + 0.1 for k, v in net.state().items()})  # "training"
        predictions.append(model.predict(x))
        model.stop_training = False
        validation.after_step(False, epoch - 1)  # within an epoch: no validation
        validation.after_step(True, epoch)
        if model.stop_training:
            break
    # 3.0, 1.0 (best), 2.0, 1.5: two epochs without improvement stop it at epoch 4
    assert epoch == 4 and validation.stopped and validation.history == [3.0, 1.0, 2.0, 1.5]
    assert validation.best_epoch == 2 and validation.wait == 2
    validation.restore_best()
    np.testing.assert_allclose(model.predict(x), predictions[1], rtol=1e-6)
    assert np.abs(predictions[3] - predictions[1]).max() > 1e-3
    # a stage resumed after it stopped stops again at its first step
    resumed = unet_stage.Validation(model, x, np.zeros((3, 64)), 1.0, patience=2)
    resumed.load_state_dict(validation.state_dict())
    model.stop_training = False
    resumed.after_step(False, 4)
    assert model.stop_training and resumed.best_epoch == 2


@pytest.mark.network
def test_training_lowers_the_validation_loss_and_beats_the_mean_image(dataset, trained):
    history = trained.record["val_history"]
    assert len(history) == CONFIG.epochs == trained.record["epochs_run"]
    assert trained.record["val_loss"] == min(history)
    assert trained.record["best_epoch"] == 1 + int(np.argmin(history))
    # the restored best weights give the best validation loss
    validation = trained.validation
    assert validation.loss() == pytest.approx(min(history), rel=1e-5)
    # below the initial network's, and below the training split's mean image (y = 0)
    initial = UNet(16, 16, CONFIG.base_channels, CONFIG.depth, mask=dataset.mask, seed=0)
    y0 = compiled(initial).predict(validation.x_val)
    inside = dataset.mask.ravel()
    assert min(history) < 0.5 * np.mean((y0 - validation.y_val)[:, inside] ** 2)
    assert min(history) < 0.6 * np.mean(validation.y_val[:, inside] ** 2)
    assert history[-1] < history[0]
    # in volts on the noisy test split too
    test = trained.evaluate(dataset.test)
    mean_image = np.broadcast_to(dataset.train["U"].mean(axis=0), dataset.test["U"].shape)
    mask = np.broadcast_to(dataset.mask, mean_image.shape)
    baseline = np.linalg.norm((mean_image - dataset.test["U"])[mask])
    assert test["rel_l2"] < 0.8 * baseline / np.linalg.norm(dataset.test["U"][mask])
    U = trained.predict(dataset.test["dV"])
    assert U.shape == (8, 16, 16) and np.all(U[:, ~dataset.mask] == 0)
    np.testing.assert_allclose(trained.predict(dataset.test["dV"][0]), U[0], atol=1e-6)
    report = trained.report()
    assert report["training"]["steps"] == CONFIG.epochs * 10 and "mask" not in report


@pytest.mark.network
def test_same_seed_same_predictions(dataset, trained):
    again = train_unet(dataset, CONFIG, seed=0, cache=None, progress=False)
    np.testing.assert_array_equal(
        again.predict(dataset.val["dV"]), trained.predict(dataset.val["dV"])
    )


@pytest.mark.network
def test_resumed_training_ends_where_an_uninterrupted_one_does(dataset, trained, tmp_path,
                                                               monkeypatch):  # fmt: skip
    after_step, calls = unet_stage.Validation.after_step, []

    def interrupted(self, epoch_ended, epoch):
        after_step(self, epoch_ended, epoch)
        calls.append(epoch)
        if len(calls) == 17:  # in epoch 2, after the checkpoint at step 13 (epoch 1 validated)
            raise KeyboardInterrupt

    monkeypatch.setattr(unet_stage.Validation, "after_step", interrupted)
    folder = tmp_path / "checkpoint"
    with pytest.raises(KeyboardInterrupt):
        train_unet(dataset, CONFIG, seed=0, cache=None, checkpoint=folder, checkpoint_every=13,
                   progress=False)  # fmt: skip
    monkeypatch.undo()
    assert json.loads((folder / "checkpoint.json").read_text())["done"] == 13
    resumed = train_unet(dataset, CONFIG, seed=0, cache=None, checkpoint=folder, progress=False)
    assert resumed.record["val_history"] == pytest.approx(trained.record["val_history"], rel=1e-5)
    np.testing.assert_allclose(
        resumed.predict(dataset.val["dV"]), trained.predict(dataset.val["dV"]), rtol=1e-5,
        atol=1e-7,
    )  # fmt: skip


@pytest.mark.network
def test_the_cache_is_reused_and_refuses_another_configuration(dataset, trained, cache):
    [folder] = [p for p in cache.iterdir() if p.is_dir()]  # the checkpoint was removed
    assert sorted(p.name for p in folder.iterdir()) == ["unet.json", "weights.npz"]
    reused = train_unet(dataset, CONFIG, seed=0, cache=cache, progress=False)
    assert reused.trainer is None  # loaded, not trained
    np.testing.assert_array_equal(
        reused.predict(dataset.test["dV"]), trained.predict(dataset.test["dV"])
    )
    loaded = UNetStage.load(folder, n_electrodes=16, image_size=16,
                            currents=patterns.trigonometric_pattern(16))  # fmt: skip
    np.testing.assert_array_equal(
        loaded.predict(dataset.test["dV"]), trained.predict(dataset.test["dV"])
    )
    with pytest.raises(ValueError, match="trained for 16 electrodes, not 32"):
        UNetStage.load(folder, n_electrodes=32)
    with pytest.raises(ValueError, match="predicts 16 × 16 images, not 64 × 64"):
        UNetStage.load(folder, image_size=64)
    with pytest.raises(ValueError, match="current pattern"):
        UNetStage.load(folder, currents=patterns.trigonometric_pattern(16, phi=0.5))
    record = json.loads((folder / "unet.json").read_text())
    (folder / "unet.json").write_text(json.dumps({**record, "seed": 7}))
    with pytest.raises(ValueError, match="another configuration \\(seed: 7 in"):
        train_unet(dataset, CONFIG, seed=0, cache=cache, progress=False)
    (folder / "unet.json").write_text(json.dumps({**record, "backend": "jax"}))
    with pytest.raises(ValueError, match="trained on jax"):
        UNetStage.load(folder)
    (folder / "unet.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match="holds no saved U-Net"):
        UNetStage.load(cache / "nothing")


@pytest.mark.network
def test_bad_input_is_refused(dataset, trained):
    with pytest.raises(ValueError, match="trained for 16 electrodes, got shape \\(3, 8\\)"):
        trained.predict(np.zeros((3, 8)))
    with pytest.raises(ValueError, match="dV contains 1 NaN"):
        trained.predict(np.where(np.arange(16) == 3, np.nan, dataset.test["dV"][0]))
    with pytest.raises(ValueError, match="dV must have shape"):
        trained.predict(np.zeros((1, 2, 16)))
    with pytest.raises(TypeError, match="EITDataset"):
        train_unet({"dV": dataset.train["dV"]}, CONFIG, cache=None)
    with pytest.raises(ValueError, match="divisible by 2\\*\\*depth = 32"):
        train_unet(dataset, UNetConfig(depth=5), cache=None)
    with pytest.raises(ValueError, match="larger than the 43 training samples"):
        train_unet(dataset, UNetConfig(depth=2, batch_size=64), cache=None)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        UNetConfig(epochs=0)
    with pytest.raises(TypeError, match="config must be a UNetConfig"):
        train_unet(dataset, {"epochs": 3}, cache=None)
