"""Char-RNN hyperparameters (override with --hparams="k=v,k=v").

The SeedBank char-rnn builds embedding -> MultiRNNCell of LSTMCells, each wrapped in a
DropoutWrapper on its output -> a fully connected layer to the character logits, with the mean
per-character cross-entropy as loss. The seed does not give its sizes or optimizer; the defaults
below are this package's choice (2 x 512 LSTM, sequence 100, batch 64, Adam 2e-3, gradient norm
clipped at 5).
"""
import dataclasses
import math


@dataclasses.dataclass
class CharRNNConfig:
    vocab_size: int = 0             # characters in the vocabulary (filled in from the training split)
    valid_fraction: float = 0.1     # the last this fraction of the text is the validation split
    num_steps: int = 20000          # total optimizer steps (the CLI's --num_steps overrides)
    save_every: int = 500           # validate and checkpoint every this many steps
    seq_length: int = 100           # characters per training window (truncated BPTT length)
    batch_size: int = 64
    embedding_size: int = 128       # character embedding width
    rnn_size: int = 512             # LSTM units per layer
    num_layers: int = 2
    output_keep_prob: float = 0.9   # keep probability of each LSTM layer's output (the DropoutWrapper's)
    learning_rate: float = 0.002    # Adam
    decay_rate: float = 1.0         # learning rate x decay_rate per step (1.0 = constant)
    grad_clip_norm: float = 5.0     # gradients clipped by global norm; 0 = no clipping

    def __post_init__(self):
        if not 0.0 < self.output_keep_prob <= 1.0:
            raise ValueError(f"output_keep_prob is a keep probability in (0, 1]; got {self.output_keep_prob}.")
        if not 0.0 <= self.valid_fraction < 1.0:
            raise ValueError(f"valid_fraction must be in [0, 1); got {self.valid_fraction}.")
        for name in ("seq_length", "batch_size", "embedding_size", "rnn_size", "num_layers",
                     "num_steps", "save_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer; got {getattr(self, name)}.")
        if not (self.learning_rate > 0 and math.isfinite(self.learning_rate)):  # NaN fails too
            raise ValueError(f"learning_rate must be a finite number > 0; got {self.learning_rate} "
                             "(--hparams=learning_rate=...).")
        if not 0.0 < self.decay_rate <= 1.0:
            raise ValueError(f"decay_rate is a per-step decay factor in (0, 1] (1.0 = constant); got {self.decay_rate} "
                             "(--hparams=decay_rate=...).")
        if not (self.grad_clip_norm >= 0 and math.isfinite(self.grad_clip_norm)):
            raise ValueError(f"grad_clip_norm must be a finite number >= 0 (0 = no clipping); got "
                             f"{self.grad_clip_norm} (--hparams=grad_clip_norm=...).")
