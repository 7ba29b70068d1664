"""Training on several devices or machines with tf.distribute, keeping the original's math exact.

`--distribute=mirrored` trains on every GPU (or CPU device) of one machine, `multi_worker` on
several machines described by TF_CONFIG (docs/distributed.md). The global batch is the config's
batch_size, split over the replicas by tf.data. The train steps make one step on N replicas equal
one step on one device with the same global batch:

- each replica's loss (a mean over its share of the batch) is divided by N (`replica_loss`), so
  the gradients summed over replicas are those of the global mean, and any per-example derivative
  clipping inside the backward pass (Graves') sees the same numbers as on one device;
- clipping of the *aggregated* gradients (Sketch-RNN's clip by value, char-RNN's global norm) is
  applied after an explicit all-reduce (`clip_aggregated`); Keras' optimizer arguments clipvalue /
  clipnorm would clip each replica's gradients before the sum, which is not the original's math;
- statistics that enter the loss through a non-linearity (Sketch-RNN's KL floor max(KL, tol)) are
  decided on the global batch (`global_mean`).
Only the chief writes files (`is_chief`); the others checkpoint into a temporary folder, because
saving is a collective operation every worker must join.
"""
import json
import os

import tensorflow as tf

KINDS = ("none", "mirrored", "multi_worker")


def make_strategy(kind: str) -> tf.distribute.Strategy:
    """The tf.distribute strategy for --distribute=kind ("none": the default, one device)."""
    if kind == "none":
        return tf.distribute.get_strategy()
    if kind == "mirrored":
        return tf.distribute.MirroredStrategy()
    if kind == "multi_worker":
        if not os.environ.get("TF_CONFIG"):
            raise ValueError("--distribute=multi_worker needs the TF_CONFIG environment variable, which names every "
                             "worker and this one's index; see docs/distributed.md.")
        try:
            json.loads(os.environ["TF_CONFIG"])
        except json.JSONDecodeError as e:
            raise ValueError(f"TF_CONFIG is not valid JSON ({e}); see docs/distributed.md.") from None
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"--distribute must be one of {', '.join(KINDS)}; got {kind!r}.")


def is_chief(strategy: tf.distribute.Strategy | None = None) -> bool:
    """True on the one worker that writes files: always, except on multi-worker non-chiefs (the
    chief is task 'chief', or worker 0 when the cluster has no 'chief')."""
    strategy = strategy or tf.distribute.get_strategy()
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    if resolver.task_type == "chief":
        return True
    return resolver.task_type == "worker" and resolver.task_id == 0 and "chief" not in resolver.cluster_spec().as_dict()


def num_replicas() -> int:
    context = tf.distribute.get_replica_context()
    if context is not None:
        return context.num_replicas_in_sync
    return tf.distribute.get_strategy().num_replicas_in_sync


def replica_loss(loss: tf.Tensor) -> tf.Tensor:
    """A replica's share of the global loss: its local mean divided by the number of replicas."""
    return loss / tf.cast(num_replicas(), loss.dtype)


def global_mean(value: tf.Tensor) -> tf.Tensor:
    """The mean of a per-replica value over all replicas (itself on one device); no gradient."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return tf.stop_gradient(value)
    return tf.stop_gradient(context.all_reduce(tf.distribute.ReduceOp.MEAN, value))


def clip_aggregated(grads: list, clip) -> list:
    """Gradients of replica_loss -> what each replica hands to optimizer.apply_gradients so that
    the update uses clip(sum over replicas): the sum is all-reduced here, clipped, and divided by
    N again, because Keras' optimizer sums the replicas' gradients once more."""
    # Embedding gradients (IndexedSlices) are made dense on one device too, so that the optimizer
    # updates them the same way everywhere (dense, as TF1's Adam did; sparse updates skip rows).
    grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
    context = tf.distribute.get_replica_context()
    n = 1 if context is None else context.num_replicas_in_sync
    if n == 1:
        return clip(grads)
    total = context.all_reduce(tf.distribute.ReduceOp.SUM, grads)
    return [g / n for g in clip(total)]


def reported(metric: tf.Tensor) -> tf.Tensor:
    """A metric result as a train/test step returns it: the mean over replicas, so every replica
    (and worker) logs the same number. Under MultiWorkerMirroredStrategy it gets a leading axis
    of 1: Keras (3.15) reduces step outputs there with reduce("MEAN", axis=0), which fails on
    scalars."""
    value = global_mean(metric)
    strategy = tf.distribute.get_strategy()
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and strategy.extended._in_multi_worker_mode():
        return value[None]
    return value


def barrier(strategy: tf.distribute.Strategy) -> None:
    """Wait until every worker of a multi-worker run gets here (a collective no-op), so that the
    others stay alive while the chief exports; nothing to do on one machine."""
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and strategy.extended._in_multi_worker_mode():
        strategy.reduce("SUM", strategy.run(lambda: tf.constant(1.0)), axis=None)
