"""Sketch-RNN hyperparameters. Names and defaults are those of the original magenta
`sketch_rnn.model.get_default_hparams()`; `scale_factor` is filled in from the training set."""
import dataclasses
import math


@dataclasses.dataclass
class SketchRNNConfig:
    data_set: list[str] = dataclasses.field(default_factory=lambda: ["aaron_sheep.npz"])
    num_steps: int = 10000000       # total training steps (the CLI's --num_steps overrides)
    save_every: int = 500           # validate and checkpoint every this many steps
    max_seq_len: int = 250          # N_max; set from the data like the original
    dec_rnn_size: int = 512         # decoder LSTM units
    dec_model: str = "lstm"         # lstm | layer_norm | hyper
    enc_rnn_size: int = 256         # encoder LSTM units (each direction)
    enc_model: str = "lstm"         # lstm | layer_norm | hyper
    z_size: int = 128               # latent vector size
    kl_weight: float = 0.5          # final KL weight
    kl_weight_start: float = 0.01   # KL weight at step 0
    kl_tolerance: float = 0.2       # KL floor (free bits per dimension, averaged)
    batch_size: int = 100
    grad_clip: float = 1.0          # gradients clipped by value to [-grad_clip, grad_clip]
    num_mixture: int = 20           # M bivariate normals for (dx, dy)
    learning_rate: float = 0.001
    decay_rate: float = 0.9999      # learning-rate decay per step
    kl_decay_rate: float = 0.99995  # KL-weight annealing per step
    min_learning_rate: float = 0.00001
    use_recurrent_dropout: bool = True
    recurrent_dropout_prob: float = 0.90   # keep probability
    use_input_dropout: bool = False
    input_dropout_prob: float = 0.90       # keep probability
    use_output_dropout: bool = False
    output_dropout_prob: float = 0.90      # keep probability
    random_scale_factor: float = 0.15      # x/y scale augmentation
    augment_stroke_prob: float = 0.10      # point-dropping augmentation
    conditional: bool = True               # False: decoder only (unconditional model)
    scale_factor: float = 1.0              # offsets are divided by this (training-set std)
    bucket_width: int = 0                  # not in the original: >0 batches drawings of similar length,
                                           # padded to multiples of this (faster); 0: all padded to N_max
    magenta_js_grid: bool = False          # not in the original: keep every weight on the int16 grid of the
                                           # magenta-js format while training (quantization-aware), so that
                                           # the .gen.json / .vae.json export computes what was validated

    def __post_init__(self):
        for name in ("enc_model", "dec_model"):
            if getattr(self, name) not in ("lstm", "layer_norm", "hyper"):
                raise ValueError(f"{name} must be one of lstm, layer_norm, hyper; got {getattr(self, name)!r}.")
        for name in ("recurrent_dropout_prob", "input_dropout_prob", "output_dropout_prob"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ValueError(f"{name} is a keep probability in (0, 1]; got {getattr(self, name)}.")
        if self.num_mixture < 1 or self.z_size < 1 or self.batch_size < 1 or self.max_seq_len < 1:
            raise ValueError("num_mixture, z_size, batch_size and max_seq_len must be positive.")
        if self.bucket_width < 0:
            raise ValueError(f"bucket_width must be >= 0 (0: no bucketing); got {self.bucket_width}.")
        for name in ("num_steps", "save_every", "enc_rnn_size", "dec_rnn_size"):
            if getattr(self, name) < 1:
                flag = f"--{name}" if name in ("num_steps", "save_every") else f"--hparams={name}=..."
                raise ValueError(f"{name} must be a positive integer; got {getattr(self, name)} ({flag}).")
        positive = ("learning_rate", "grad_clip", "decay_rate", "kl_decay_rate", "scale_factor")
        for name in positive:
            if not getattr(self, name) > 0 or not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number > 0; got {getattr(self, name)} "
                                 f"(--hparams={name}=...).")
        for name in ("decay_rate", "kl_decay_rate"):
            if getattr(self, name) > 1.0:
                raise ValueError(f"{name} is a per-step decay factor in (0, 1]; got {getattr(self, name)}.")
        for name in ("min_learning_rate", "kl_weight", "kl_weight_start", "kl_tolerance",
                     "random_scale_factor", "augment_stroke_prob"):
            if not getattr(self, name) >= 0 or not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number >= 0; got {getattr(self, name)} "
                                 f"(--hparams={name}=...).")
