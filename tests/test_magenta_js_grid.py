"""magenta_js_grid=true (opt-in): training keeps every weight on the magenta-js int16 grid, carries the
sub-grid part of each step in grid_rest, and so the .gen.json export holds exactly the trained model."""
import base64

import numpy as np
import pytest

from sketch_rnn.magenta_js import GEN_BLOBS, QUANTUM, WEIGHT_LIMIT, dequantize, from_project, quantize

GRID_STEP = WEIGHT_LIMIT / QUANTUM


def tiny(grid):
    from sketch_rnn.config import SketchRNNConfig
    from sketch_rnn.model import build_model
    # learning rate 2e-5: each Adam step moves a weight by about 2e-5, a fifteenth of a grid step
    config = SketchRNNConfig(conditional=False, dec_rnn_size=8, max_seq_len=10, num_mixture=20, batch_size=4,
                             learning_rate=2e-5, min_learning_rate=1e-5, use_recurrent_dropout=False,
                             magenta_js_grid=grid, data_set=["tiny.npz"], scale_factor=1.0)
    return config, build_model(config)


def train(model, steps):
    import tensorflow as tf

    from data_utils import sketch_data
    rng = np.random.default_rng(0)
    drawings = [np.column_stack([rng.normal(size=(8, 2)), rng.random(8) < 0.2]).astype(np.float32) for _ in range(8)]
    batches = iter(sketch_data.make_dataset(drawings, 10, 4, seed=1))
    step = tf.function(model.train_step)
    for _ in range(steps):
        step(next(batches))


def weights_by_name(model):
    from sketch_rnn.weights import weight_table
    return {name: v.numpy() for name, v in weight_table(model).items()}


def exported(config, model):
    """{weight name: what @magenta/sketch reads from the model's export}: the blobs, decoded."""
    _, shapes, blobs = from_project(config, weights_by_name(model), "tiny")
    return {name: dequantize(np.frombuffer(base64.b64decode(b), "<i2")).reshape(s)
            for name, b, s in zip(GEN_BLOBS, blobs, shapes)}


def test_grid_training_keeps_the_weights_on_the_grid_and_its_export_loses_nothing():
    config, model = tiny(grid=True)
    model.set_weights([dequantize(quantize(w)) for w in model.get_weights()])  # a grid start
    start = weights_by_name(model)
    train(model, 60)
    weights = weights_by_name(model)
    for w in weights.values():
        np.testing.assert_array_equal(w, dequantize(quantize(w)))  # exactly on the grid
    moved = sum(int(np.sum(weights[n] != start[n])) for n in weights)
    assert moved > 0, "steps of a fifteenth of the grid never added up to a grid step"
    rests = [r.numpy() for r in model.grid_rest.rests]
    assert max(float(np.max(np.abs(r))) for r in rests) <= GRID_STEP / 2 * 1.0001
    assert max(float(np.max(np.abs(r))) for r in rests) > 0
    blobs = exported(config, model)
    assert blobs.keys() == weights.keys()
    for name, blob in blobs.items():
        np.testing.assert_array_equal(blob, weights[name])  # the export holds the trained weights exactly


def test_without_the_grid_small_steps_are_lost_on_export():
    """The reason for the option: float32 training at a small learning rate moves weights by less
    than the grid, and the export rounds most of what was learnt away."""
    config, model = tiny(grid=False)
    model.set_weights([dequantize(quantize(w)) for w in model.get_weights()])
    start = weights_by_name(model)
    train(model, 5)
    weights = weights_by_name(model)
    assert all(not np.array_equal(weights[n], start[n]) for n in weights if weights[n].size > 1)
    blobs = exported(config, model)
    assert blobs.keys() == start.keys()
    for name, blob in blobs.items():
        np.testing.assert_array_equal(blob, start[name])  # every step rounded away: the export is the untrained model


def test_weights_saved_without_the_grid_load_into_a_grid_model(tmp_path):
    """--init_from a float32 run: its .weights.h5 has no remainders; they start at zero."""
    _, plain = tiny(grid=False)
    plain.save_weights(tmp_path / "plain.weights.h5")
    _, grid = tiny(grid=True)
    grid.load_weights(tmp_path / "plain.weights.h5")
    for a, b in zip(plain.trainable_variables, grid.trainable_variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert all(not np.any(r.numpy()) for r in grid.grid_rest.rests)


def test_the_grid_matches_the_format_bit_for_bit():
    import tensorflow as tf

    from sketch_rnn.model import on_magenta_js_grid
    x = np.random.default_rng(3).normal(0, 2, 100_000).astype(np.float32)
    x[:2] = [12.5, -30.0]  # beyond the format's range: clipped to +-10
    on_grid = tf.function(on_magenta_js_grid)(tf.constant(x)).numpy()
    np.testing.assert_array_equal(on_grid, dequantize(quantize(np.clip(x, -WEIGHT_LIMIT, WEIGHT_LIMIT))))
    assert on_grid[0] == pytest.approx(10.0) and on_grid[1] == pytest.approx(-10.0)


def test_the_savedmodel_of_a_grid_model_holds_its_weights_and_no_remainders(tmp_path):
    import tensorflow as tf

    from sketch_rnn.export import export_saved_model
    _, model = tiny(grid=True)
    train(model, 3)
    export_saved_model(model, str(tmp_path / "saved_model"))
    reader = tf.train.load_checkpoint(str(tmp_path / "saved_model" / "variables" / "variables"))
    stored = [n for n in reader.get_variable_to_shape_map() if "grid_rest" in n or "rest_" in n]
    assert not stored
    tensors = [reader.get_tensor(n) for n in reader.get_variable_to_shape_map()]
    for variable in model.trainable_variables:  # each weight is stored as it is, on the grid
        assert any(t.shape == variable.shape and np.array_equal(t, variable.numpy()) for t in tensors), variable.path


def test_a_grid_model_loads_from_its_savedmodel(tmp_path):
    """A shipped grid model (config magenta_js_grid=true, a SavedModel without remainders) loads for
    sampling: its weights from the SavedModel, the remainders at zero."""
    from run_utils.training import restore_exported_weights
    from sketch_rnn.export import export_saved_model
    _, model = tiny(grid=True)
    train(model, 3)
    export_saved_model(model, str(tmp_path / "saved_model"))
    _, again = tiny(grid=True)
    restore_exported_weights(again, str(tmp_path / "saved_model" / "variables" / "variables"))
    for a, b in zip(model.trainable_variables, again.trainable_variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert all(not np.any(r.numpy()) for r in again.grid_rest.rests)
