"""Run as a script (a fresh process: logical devices must be set before TensorFlow starts):
python tests/distribute_equivalence.py MODEL [naive] -> one JSON line comparing the weights after a
few steps on one device with those after the same steps under MirroredStrategy on two logical
CPUs, from the same initial weights and batches. `naive` replaces the loss scaling and the
aggregated clipping by what Keras does on its own (each replica's mean loss, clipped before the
sum), to show that the comparison detects the difference."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

STEPS = 3


def sketch():
    from sketch_rnn.config import SketchRNNConfig
    from sketch_rnn.model import build_model
    from tests.test_sketch_model import make_batch
    # grad_clip small enough to bite: clipping the summed gradient differs from clipping each half.
    config = SketchRNNConfig(enc_rnn_size=8, dec_rnn_size=12, z_size=4, num_mixture=2, batch_size=8, max_seq_len=12,
                             use_recurrent_dropout=False, grad_clip=0.01, kl_tolerance=0.01)
    rng = np.random.default_rng(0)
    batches = [make_batch(rng) for _ in range(STEPS)]

    def build():
        model = build_model(config)
        # z = mu + sigma * eps with eps a fixed function of each example (the same however the batch is split)
        model.sample_z = lambda mu, presig, seed=None: mu + tf.exp(presig / 2.0) * tf.sin(mu * 100.0 + 1.0)
        return model
    return build, batches


def char():
    from char_rnn.config import CharRNNConfig
    from char_rnn.model import build_model
    config = CharRNNConfig(vocab_size=11, rnn_size=16, embedding_size=4, num_layers=2, output_keep_prob=1.0,
                           batch_size=8, seq_length=10, grad_clip_norm=0.05)
    rng = np.random.default_rng(1)
    batches = []
    for _ in range(STEPS):
        ids = rng.integers(0, 11, size=(8, 11)).astype(np.int32)
        batches.append((tf.constant(ids[:, :-1]), tf.constant(ids[:, 1:])))
    return (lambda: build_model(config)), batches


def handwriting():
    from handwriting.config import HandwritingConfig
    from handwriting.model import build_model
    config = HandwritingConfig(num_layers=2, rnn_size=8, num_mixture=2, num_window=2, chars=list(" abc"),
                               batch_size=4, jit_compile=False, output_clip=0.5, lstm_clip=0.5, optimizer="adam",
                               learning_rate=0.01, offset_stats={"mean": [0.0, 0.0], "std": [1.0, 1.0], "clip": 20.0})
    rng = np.random.default_rng(2)
    batches = []
    for _ in range(STEPS):
        strokes = rng.normal(size=(4, 9, 3)).astype(np.float32)
        strokes[..., 2] = rng.random((4, 9)) < 0.3
        mask = (np.arange(9)[None] < np.array([[9], [7], [5], [8]])).astype(np.float32)
        chars = rng.integers(0, 4, size=(4, 3)).astype(np.int32)
        batches.append({"strokes": tf.constant(strokes * mask[..., None]), "stroke_mask": tf.constant(mask),
                        "chars": tf.constant(chars), "char_mask": tf.constant(np.ones((4, 3), np.float32))})
    return (lambda: build_model(config)), batches


def train(strategy, build, batches, initial):
    with strategy.scope():
        model = build()
    if initial is not None:
        model.set_weights(initial)
    start = [w.copy() for w in model.get_weights()]
    dataset = tf.data.Dataset.from_tensors(batches[0])
    for batch in batches[1:]:
        dataset = dataset.concatenate(tf.data.Dataset.from_tensors(batch))
    model.fit(dataset, epochs=1, steps_per_epoch=len(batches), verbose=0)
    return start, model.get_weights()


build, batches = {"sketch_rnn": sketch, "char_rnn": char, "handwriting": handwriting}[sys.argv[1]]()
if sys.argv[2:] == ["naive"]:
    from run_utils import distribute
    distribute.replica_loss = lambda loss: loss
    distribute.clip_aggregated = lambda grads, clip: clip(grads)
start, single = train(tf.distribute.get_strategy(), build, batches, None)
mirrored_strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
_, mirrored = train(mirrored_strategy, build, batches, start)
print(json.dumps({
    "replicas": mirrored_strategy.num_replicas_in_sync,
    "max_abs_diff": max(float(np.abs(a - b).max()) for a, b in zip(single, mirrored)),
    "max_abs_update": max(float(np.abs(a - b).max()) for a, b in zip(single, start)),
}))
