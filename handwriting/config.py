"""Hyperparameters of Graves' (2013) handwriting networks.

Sizes and the optimiser are those of the paper (sections 4-5): 3 LSTM layers of 400 cells with
peepholes and skip connections, 20 bivariate-normal mixture components, 10 window Gaussians;
RMSProp as Graves' eq. 38-41 (Keras `RMSprop(centered=True)`: rho 0.95, momentum 0.9, lr 1e-4,
epsilon 1e-4 inside the square root), LSTM derivatives clipped to [-10, 10] and output
derivatives to [-100, 100]. The batch size is not given in the paper; 32 whole lines here.

`offset_stats` (training-set mean/std of the pen offsets, data_utils.iam_batches.OffsetStats.to_dict())
and `chars` (the synthesis alphabet) are filled in from the data by train.py.
"""
import dataclasses
import math

TASKS = ("prediction", "synthesis")
OPTIMIZERS = ("rmsprop", "adam")


@dataclasses.dataclass
class HandwritingConfig:
    task: str = "synthesis"         # prediction (section 4) | synthesis (section 5)
    num_layers: int = 3             # stacked LSTM layers with skip connections
    rnn_size: int = 400             # cells per layer
    num_mixture: int = 20           # M bivariate normals for the pen offset
    num_window: int = 10            # K Gaussians of the soft window (synthesis)
    # Initial bias of the window's kappa_hat: exp(-3) = 0.05 characters per point at the start
    # (IAM-OnDB has ~22 points per character). An initialisation only; the update is eq. 51.
    kappa_bias_init: float = -3.0
    batch_size: int = 32            # whole lines per batch (not stated by Graves)
    max_points: int = 0             # 0: whole lines; else prediction lines are cut / synthesis lines dropped
    bucket_width: int = 200         # lines batched with lines of similar length (points); 0: no bucketing
    jit_compile: bool = True        # XLA-compile the train step (batches padded to bucket_width multiples)
    split_scheme: str = "graves"    # graves: train = trainset + testset_t + testset_f, valid = testset_v
    optimizer: str = "rmsprop"      # rmsprop (Graves) | adam
    learning_rate: float = 1e-4
    rmsprop_rho: float = 0.95       # Graves' aleph
    momentum: float = 0.9           # Graves' beth (RMSProp only)
    epsilon: float = 1e-4           # Graves' daleth (inside the square root for RMSProp)
    lstm_clip: float = 10.0         # per-sequence d loss / d LSTM gate pre-activations clipped to +-this
    output_clip: float = 100.0      # per-sequence d loss / d network outputs clipped to +-this
    num_steps: int = 100000         # total optimizer steps (--num_steps overrides)
    save_every: int = 500           # validate and checkpoint every this many steps (--save_every)
    valid_batches: int = 0          # validation batches per round; 0: the whole validation split
    max_minutes: float = 0.0        # stop training (checkpoint, evaluate, export) after this long; 0: no limit
    offset_stats: dict = dataclasses.field(default_factory=dict)
    chars: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)}; got {self.task!r}.")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {self.optimizer!r}.")
        for name in ("num_layers", "rnn_size", "num_mixture", "num_window", "batch_size", "save_every", "num_steps"):
            if getattr(self, name) < 1:
                flag = f"--{name}" if name in ("num_steps", "save_every") else f"--hparams={name}=..."
                raise ValueError(f"{name} must be a positive integer; got {getattr(self, name)} ({flag}).")
        for name in ("lstm_clip", "output_clip", "learning_rate"):
            if not getattr(self, name) > 0 or math.isnan(getattr(self, name)):
                raise ValueError(f"{name} must be > 0; got {getattr(self, name)}.")

    @property
    def vocab_size(self):
        return len(self.chars)
