"""Sketch-RNN (Ha & Eck 2017) as a Keras model, following the original magenta code.

Data layout: a batch is {"strokes": [batch, N_max + 1, 5] stroke-5 with the start token
(0, 0, 1, 0, 0) at t = 0 and (0, 0, 0, 0, 1) padding, "seq_len": [batch] real lengths}.

Conditional model: a bidirectional encoder reads strokes[:, 1:] up to each drawing's length;
its final hidden states give mu and sigma of q(z|S); z = mu + sigma * eps. The decoder starts
from tanh(W z + b) and reads [S_{i-1}; z] at every step. Unconditional model: decoder only,
zero initial state. The decoder output (6M + 3 values per step) parameterises a mixture of M
bivariate normals for (dx, dy) and a 3-way categorical for the pen state.
"""
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from mdn import mixture
from run_utils import distribute
from sketch_rnn.cells import make_cell, state_size_total
from sketch_rnn.config import SketchRNNConfig
from sketch_rnn.magenta_js import QUANTUM, WEIGHT_LIMIT

tfd = tfp.distributions
PEN_STATES = 3  # (pen down, pen up, end of drawing): the decoder's logits before the mixture values
LOG_EPSILON = float(np.log(1e-6))  # the original adds 1e-6 inside log() of the offset density


class SketchLearningRate(keras.optimizers.schedules.LearningRateSchedule):
    """lr(step) = (learning_rate - min_learning_rate) * decay_rate^step + min_learning_rate."""

    def __init__(self, learning_rate: float, decay_rate: float, min_learning_rate: float):
        self.learning_rate = learning_rate
        self.decay_rate = decay_rate
        self.min_learning_rate = min_learning_rate

    def __call__(self, step):
        decay = tf.exp(tf.cast(step, tf.float32) * float(np.log(self.decay_rate)))
        return (self.learning_rate - self.min_learning_rate) * decay + self.min_learning_rate

    def get_config(self) -> dict[str, float]:
        return {"learning_rate": self.learning_rate, "decay_rate": self.decay_rate,
                "min_learning_rate": self.min_learning_rate}


def kl_weight_at(config: SketchRNNConfig, step: int | tf.Tensor | keras.Variable) -> tf.Tensor:
    """The annealed KL weight: w_KL - (w_KL - w_start) * kl_decay_rate^step."""
    decay = tf.exp(tf.cast(step, tf.float32) * float(np.log(config.kl_decay_rate)))
    return config.kl_weight - (config.kl_weight - config.kl_weight_start) * decay


TEMPERATURE_RULES = ("code", "paper")


def sigma_scale(temperature: float | tf.Tensor, rule: str = "code") -> tf.Tensor:
    """The factor on every mixture standard deviation at sampling temperature tau.

    "code" (the default): tau, as the original's sample(), which passes sqrt(tau) to
    sample_gaussian_2d, which multiplies each sigma by temp * temp. "paper": sqrt(tau), the
    paper's eq. 8 (variances multiplied by tau). Mixture weights and pen logits are divided by
    tau under both rules."""
    if rule not in TEMPERATURE_RULES:
        raise ValueError(f"temperature rule must be one of {', '.join(TEMPERATURE_RULES)}; got {rule!r}.")
    temperature = tf.cast(temperature, tf.float32)
    return temperature if rule == "code" else tf.sqrt(temperature)


def reconstruction_losses(pen_logits: tf.Tensor, mixture_raw: tf.Tensor,
                          target: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Per-point losses of the original: pen_logits [B, N, 3] and mixture_raw [B, N, 6M] (the two
    parts of the decoder output, MixtureHead.split), target stroke-5 [B, N, 5].
    Returns (offset_nll [B, N] = -log(p(dx, dy) + 1e-6), pen_nll [B, N])."""
    log_p = mixture.offset_distribution(mixture.mixture_params(mixture_raw)).log_prob(target[..., :2])
    offset_nll = -tf.reduce_logsumexp(tf.stack([log_p, tf.fill(tf.shape(log_p), LOG_EPSILON)]), axis=0)
    pen_nll = tf.nn.softmax_cross_entropy_with_logits(labels=target[..., 2:], logits=pen_logits)
    return offset_nll, pen_nll


def gaussian_kl(mu: tf.Tensor, presig: tf.Tensor) -> tf.Tensor:
    """KL(N(mu, exp(presig)) || N(0, I)) averaged over batch and latent dims, as the original."""
    return -0.5 * tf.reduce_mean(1.0 + presig - tf.square(mu) - tf.exp(presig))


def on_magenta_js_grid(x: tf.Tensor) -> tf.Tensor:
    """x clipped to the magenta-js format's range and rounded to its int16 grid: the float32 weights
    the JavaScript readers make of the int16 values (10 * v / 32767, worked out in float64 so that
    graph rewrites of the division cannot move the last bit)."""
    x = tf.cast(tf.clip_by_value(x, -WEIGHT_LIMIT, WEIGHT_LIMIT), tf.float64)
    return tf.cast(WEIGHT_LIMIT * tf.round(x / WEIGHT_LIMIT * QUANTUM) / QUANTUM, tf.float32)


class GridRest(keras.layers.Layer):
    """For magenta_js_grid training: the part of each trainable weight below the magenta-js grid.
    The weights themselves stay on the grid (what is validated, checkpointed and exported is what
    the format holds); the rest keeps the small optimizer steps until they add up to a grid step
    (a straight-through estimate: gradients are taken at the weights on the grid)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.built = True  # its weights are made by create(), once the model's own weights exist
        self.rests = []

    def create(self, variables: Sequence[keras.Variable]) -> None:
        self.rests = [self.add_weight(shape=v.shape, initializer="zeros", trainable=False, name=f"rest_{i}")
                      for i, v in enumerate(variables)]

    def load_own_variables(self, store: Any) -> None:
        if not len(store.keys()):  # weights saved by a run without magenta_js_grid: no remainders yet
            return
        super().load_own_variables(store)

    def snap(self, variables: Sequence[keras.Variable]) -> None:
        """Each weight + its rest -> the weight on the grid, the remainder into the rest."""
        for variable, rest in zip(variables, self.rests, strict=True):
            full = variable + rest
            on_grid = on_magenta_js_grid(full)
            variable.assign(on_grid)
            rest.assign(full - on_grid)


class SketchRNN(keras.Model):
    def __init__(self, config: SketchRNNConfig, **kwargs: Any):
        super().__init__(**kwargs)
        self.config = config
        c = config
        rec_keep = c.recurrent_dropout_prob if c.use_recurrent_dropout else 1.0
        if c.conditional:
            self.enc_fw_cell = make_cell(c.enc_model, c.enc_rnn_size, 5, rec_keep, "enc_fw_cell")
            self.enc_bw_cell = make_cell(c.enc_model, c.enc_rnn_size, 5, rec_keep, "enc_bw_cell")
            small = keras.initializers.RandomNormal(stddev=0.001)
            self.mu_layer = keras.layers.Dense(c.z_size, kernel_initializer=small, name="mu")
            self.presig_layer = keras.layers.Dense(c.z_size, kernel_initializer=small, name="presig")
            dec_input_dim = 5 + c.z_size
        else:
            dec_input_dim = 5
        self.dec_cell = make_cell(c.dec_model, c.dec_rnn_size, dec_input_dim, rec_keep, "dec_cell")
        if c.conditional:
            self.init_state_layer = keras.layers.Dense(
                state_size_total(self.dec_cell), activation="tanh",
                kernel_initializer=keras.initializers.RandomNormal(stddev=0.001), name="dec_init_state")
        self.input_dropout = keras.layers.Dropout(1.0 - c.input_dropout_prob) if c.use_input_dropout else None
        self.output_dropout = keras.layers.Dropout(1.0 - c.output_dropout_prob) if c.use_output_dropout else None
        # The original creates output_w and output_b with get_variable and no initializer: TF1's
        # Glorot uniform for both (for the 1-D bias fan_in = fan_out = its length, as in Keras).
        self.output_layer = mixture.MixtureHead(c.num_mixture, PEN_STATES, bias_initializer="glorot_uniform",
                                                name="output")
        self.z_seed = keras.random.SeedGenerator(name="z_noise")  # z = mu + sigma * eps while training
        self.grid_rest = GridRest(name="grid_rest") if c.magenta_js_grid else None
        names = ["loss", "recon", "offset_loss", "pen_loss", "kl", "kl_weight", "lr", "recon_masked"]
        self.trackers = {n: keras.metrics.Mean(name=n) for n in names}

    @property
    def training_only_weights(self) -> list[keras.Variable]:
        """magenta_js_grid's remainders: checkpointed for an exact resume, left out of SavedModels."""
        return self.grid_rest.rests if self.grid_rest is not None else []

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    # ----- encoder ---------------------------------------------------------------------------
    def encode(self, strokes: tf.Tensor, seq_len: tf.Tensor, training: bool = False) -> tuple[tf.Tensor, tf.Tensor]:
        """strokes [B, N+1, 5] (with start token), seq_len [B] -> (mu, presig), each [B, z]."""
        x = strokes[:, 1:]
        seq_len = tf.cast(seq_len, tf.int32)
        x_reversed = tf.reverse_sequence(x, seq_len, seq_axis=1, batch_axis=0)  # each within its length
        last = tf.maximum(seq_len - 1, 0)
        finals = []
        for cell, inputs in ((self.enc_fw_cell, x), (self.enc_bw_cell, x_reversed)):
            state = [tf.zeros([tf.shape(x)[0], n]) for n in cell.state_size]
            outputs, _ = cell.run_sequence(cell.project_inputs(inputs), state, training=training)
            finals.append(tf.gather(outputs, last, axis=1, batch_dims=1))  # h at the drawing's last point
        h = tf.concat(finals, axis=-1)
        return self.mu_layer(h), self.presig_layer(h)

    def sample_z(self, mu: tf.Tensor, presig: tf.Tensor, seed: Sequence[int] | tf.Tensor | None = None) -> tf.Tensor:
        eps = keras.random.normal(tf.shape(mu), seed=self.z_seed) if seed is None \
            else tf.random.stateless_normal(tf.shape(mu), seed)
        return mu + tf.exp(presig / 2.0) * eps

    # ----- decoder ---------------------------------------------------------------------------
    def initial_state(self, z: tf.Tensor | None, batch_size: int | tf.Tensor) -> list[tf.Tensor]:
        """Decoder state [h, c, ...]: tanh(W z + b) split per state, or zeros if unconditional."""
        if z is None:
            return [tf.zeros([batch_size, n]) for n in self.dec_cell.state_size]
        return tf.split(self.init_state_layer(z), self.dec_cell.state_size, axis=-1)

    def decode(self, inputs: tf.Tensor, z: tf.Tensor | None, state: Sequence[tf.Tensor],
               training: bool = False) -> tuple[tf.Tensor, list[tf.Tensor]]:
        """inputs [B, T, 5] previous points, z [B, z] or None -> (raw [B, T, 6M+3], final state).
        Input dropout (training only) drops elements of the whole cell input [S_{i-1}; z] at every
        step, as the original's DropoutWrapper(input_keep_prob) around the decoder cell."""
        if self.input_dropout is not None and training:
            if z is not None:
                inputs = tf.concat([inputs, tf.tile(z[:, None], [1, tf.shape(inputs)[1], 1])], axis=-1)
            projected = self.dec_cell.project_inputs(self.input_dropout(inputs, training=True))
        else:
            projected = self.dec_cell.project_inputs(inputs, constant=z)
        h, state = self.dec_cell.run_sequence(projected, state, training=training)
        if self.output_dropout is not None:
            h = self.output_dropout(h, training=training)
        return self.output_layer(h), state

    def call(self, data: dict[str, tf.Tensor], training: bool = False) -> dict[str, tf.Tensor]:
        """Teacher-forced pass. Returns {"raw": [B, N, 6M+3], "mu", "presig": [B, z] (conditional)}."""
        strokes = data["strokes"]
        batch = tf.shape(strokes)[0]
        out = {}
        z = None
        if self.config.conditional:
            mu, presig = self.encode(strokes, data["seq_len"], training=training)
            z = self.sample_z(mu, presig)
            out.update(mu=mu, presig=presig)
        raw, _ = self.decode(strokes[:, :-1], z, self.initial_state(z, batch), training=training)
        out["raw"] = raw
        return out

    def mixture(self, strokes: tf.Tensor, z: tf.Tensor | None) -> dict[str, tf.Tensor]:
        """The output distribution of every point, teacher-forced, without dropout or temperature.
        strokes [B, T + 1, 5] normalised stroke-5 with the start token, z [B, z_size] or None ->
        pi (probabilities), mu1, mu2, sigma1, sigma2 (standard deviations), corr: [B, T, M] and
        pen_logits [B, T, 3], row t the distribution of point t + 1 given the points before it:
        what the original's model computes as its pi, mu1, ..., pen_logits."""
        raw, _ = self.decode(strokes[:, :-1], z, self.initial_state(z, tf.shape(strokes)[0]))
        pen_logits, mix_raw = self.output_layer.split(raw)
        params = mixture.mixture_params(mix_raw)
        return {"pi": tf.nn.softmax(params.logits), "mu1": params.mu[..., 0], "mu2": params.mu[..., 1],
                "sigma1": params.sigma[..., 0], "sigma2": params.sigma[..., 1], "corr": params.rho,
                "pen_logits": pen_logits}

    # ----- losses and training -----------------------------------------------------------------
    def compute_losses(self, data: dict[str, tf.Tensor], out: dict[str, tf.Tensor],
                       mask_pen: bool = False) -> dict[str, tf.Tensor]:
        """The original's cost terms: L_R = mean over B*N_max of (L_s masked to each drawing + L_p),
        L_KL floored at kl_tolerance. L_p covers all N_max steps (the original's training model and
        its eval model, both built with is_training=1); mask_pen=True masks it to the drawing too
        (the original's is_training=0 branch), reported as an extra validation figure. Batches
        padded to fewer than N_max steps (bucket_width) are summed and still divided by
        B * N_max: the same scale, minus the pen loss of the padding steps beyond the batch."""
        target = data["strokes"][:, 1:]
        offset_nll, pen_nll = reconstruction_losses(*self.output_layer.split(out["raw"]), target)
        not_ended = 1.0 - target[..., 4]
        per_point = 1.0 / tf.cast(tf.shape(target)[0] * self.config.max_seq_len, tf.float32)
        offset_loss = tf.reduce_sum(offset_nll * not_ended) * per_point
        pen_loss = tf.reduce_sum(pen_nll * not_ended if mask_pen else pen_nll) * per_point
        losses = {"offset_loss": offset_loss, "pen_loss": pen_loss, "recon": offset_loss + pen_loss}
        if self.config.conditional:
            # max(KL, tolerance) with the floor decided on the global batch (the same on one device;
            # under tf.distribute each replica's KL is only its share, see run_utils.distribute).
            kl = gaussian_kl(out["mu"], out["presig"])
            floor = tf.constant(self.config.kl_tolerance, kl.dtype)
            losses["kl"] = tf.where(distribute.global_mean(kl) > floor, kl, floor)
        else:
            losses["kl"] = tf.constant(0.0)
        return losses

    def _report(self, losses):
        for name, value in losses.items():
            self.trackers[name].update_state(value)
        return {name: distribute.reported(self.trackers[name].result()) for name in losses}

    def train_step(self, data: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        step = self.optimizer.iterations
        kl_weight = kl_weight_at(self.config, step) if self.config.conditional else tf.constant(0.0)
        with tf.GradientTape() as tape:
            out = self(data, training=True)
            losses = self.compute_losses(data, out)
            losses["loss"] = losses["recon"] + kl_weight * losses["kl"]
            replica_share = distribute.replica_loss(losses["loss"])
        grads = tape.gradient(replica_share, self.trainable_variables)
        clip = self.config.grad_clip
        # The original clips every gradient by value; on several replicas, the summed gradient.
        grads = distribute.clip_aggregated(grads, lambda gs: [tf.clip_by_value(g, -clip, clip) for g in gs])
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        if self.grid_rest is not None:
            self.grid_rest.snap(self.trainable_variables)
        losses["kl_weight"] = kl_weight
        losses["lr"] = self.optimizer.learning_rate
        return self._report(losses)

    def test_step(self, data: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """Validation as the original's evaluate_model on its eval model: z sampled, no dropout,
        pen loss over all N_max steps, and the eval model's own KL weight, which is never annealed
        and stays at kl_weight_start: loss = valid_cost = recon + kl_weight_start * max(kl, tol).
        Also reports recon_masked (pen loss masked to the drawing)."""
        out = self(data, training=False)
        losses = self.compute_losses(data, out)
        kl_weight = self.config.kl_weight_start if self.config.conditional else 0.0
        losses["loss"] = losses["recon"] + kl_weight * losses["kl"]
        losses["recon_masked"] = self.compute_losses(data, out, mask_pen=True)["recon"]
        return self._report(losses)

    # ----- sampling ----------------------------------------------------------------------------
    def generate(self, z: tf.Tensor | None, batch_size: int | tf.Tensor, max_steps: int | tf.Tensor,
                 temperature: float | tf.Tensor = 1.0, greedy: bool = False, seed: Sequence[int] | tf.Tensor = (0, 0),
                 prime: tf.Tensor | None = None, temperature_rule: str = "code") -> tuple[tf.Tensor, tf.Tensor]:
        """Sample drawings in one tf.while_loop (wrap the caller in tf.function).

        temperature tau divides the mixture and pen logits and scales the mixture's standard
        deviations by sigma_scale(tau, temperature_rule): tau under "code" (the original's
        sample(), the default), sqrt(tau) under "paper" (eq. 8). temperature: a scalar or one
        value per drawing [B].
        z: [B, z_size] or None (unconditional). prime: optional stroke-5 [B, P, 5] points to
        feed first (without start token; all rows of a batch have the same P).
        Returns (strokes [B, max_steps, 5] stroke-5, normalised units, padded with (0,0,0,0,1)
        after each drawing's end; lengths [B] int32 = points before the end-of-drawing state).
        """
        state = self.initial_state(z, batch_size)
        prev = tf.tile(tf.constant([[0.0, 0.0, 1.0, 0.0, 0.0]]), [batch_size, 1])
        if prime is not None:
            _, state = self.decode(tf.concat([prev[:, None], prime[:, :-1]], axis=1), z, state)
            prev = prime[:, -1]
        temperature = tf.broadcast_to(tf.cast(temperature, tf.float32), [batch_size])[:, None]  # [B, 1]
        scale = sigma_scale(temperature, temperature_rule)
        seed = tf.cast(tf.convert_to_tensor(seed), tf.int32)
        end_row = tf.constant([0.0, 0.0, 0.0, 0.0, 1.0])
        z_projected = None if z is None else self.dec_cell.project_constant(z)

        def step(t, prev, state, done, lengths, out):
            projected = self.dec_cell.project_inputs(prev[:, None])[:, 0]
            if z is not None:
                projected += z_projected
            h, state = self.dec_cell(projected, state, training=False)
            pen_logits, mix_raw = self.output_layer.split(self.output_layer(h))
            step_seed = tf.stack([seed[0], seed[1] + t])
            pen_seed, offset_seed = tf.unstack(tf.random.experimental.stateless_split(step_seed, 2))
            if greedy:
                pen = tf.argmax(pen_logits, axis=-1, output_type=tf.int32)
                offset = mixture.greedy_offset(mixture.mixture_params(mix_raw))
            else:
                pen = tfd.Categorical(logits=pen_logits / temperature, dtype=tf.int32).sample(seed=pen_seed)
                params = mixture.mixture_params(mix_raw, temperature=temperature, sigma_scale=scale)
                offset = mixture.offset_distribution(params).sample(seed=offset_seed)
            point = tf.concat([offset, tf.one_hot(pen, 3)], axis=-1)
            done = tf.logical_or(done, tf.equal(pen, 2))
            point = tf.where(done[:, None], end_row, point)
            lengths += tf.cast(tf.logical_not(done), tf.int32)
            out = tf.tensor_scatter_nd_update(out, [[t]], point[None])
            return t + 1, point, state, done, lengths, out

        def keep_going(t, prev, state, done, lengths, out):
            return tf.logical_and(t < max_steps, tf.logical_not(tf.reduce_all(done)))

        done0 = tf.zeros([batch_size], tf.bool)
        lengths0 = tf.zeros([batch_size], tf.int32)
        out0 = tf.tile(end_row[None, None], [max_steps, batch_size, 1])  # time-major, pre-padded
        _, _, _, _, lengths, out = tf.while_loop(
            keep_going, step, (tf.constant(0), prev, state, done0, lengths0, out0))
        return tf.transpose(out, [1, 0, 2]), lengths


def build_model(config: SketchRNNConfig, compile: bool = True, jit_compile: bool = False) -> SketchRNN:
    """A SketchRNN whose variables exist (called once on a dummy batch), compiled with the
    original's Adam and learning-rate decay unless compile=False (sampling). XLA is off by
    default: on CPU the fused recurrences run slower under XLA (bench/)."""
    model = SketchRNN(config)
    n = config.max_seq_len
    model({"strokes": tf.zeros([1, n + 1, 5]), "seq_len": tf.constant([n])})
    if model.grid_rest is not None:
        model.grid_rest.create(model.trainable_variables)
    if compile:
        lr = SketchLearningRate(config.learning_rate, config.decay_rate, config.min_learning_rate)
        # epsilon: TF1's AdamOptimizer default (1e-8), which the original uses; Keras' default is 1e-7.
        model.compile(optimizer=keras.optimizers.Adam(lr, epsilon=1e-8), jit_compile=jit_compile)
    return model
