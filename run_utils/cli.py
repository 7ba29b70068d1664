"""What train.py and sample.py share: the flags every model reads, quiet TensorFlow, and turning
user errors into one clear line instead of a traceback.

The model tables themselves are plain imports in train.py and sample.py; each model's own flags
are defined in <model>/cli_flags.py, next to the code that reads them.
"""
import os
import sys
from collections.abc import Callable, Sequence

from absl import app, flags

# Errors whose message tells the user what to fix (bad data, bad flags, missing runs, no network).
USER_ERRORS = (ValueError, FileNotFoundError, RuntimeError, OSError)
MODELS = ("sketch_rnn", "handwriting", "char_rnn")


def define_common_train_flags() -> None:
    flags.DEFINE_enum("model", "sketch_rnn", MODELS, "Which model to train.")
    flags.DEFINE_string("data_dir", None, "Where the training data is (each model says what it expects).")
    flags.DEFINE_string("log_root", None, "Run directory for config.json, checkpoints, logs and the "
                        "SavedModel (default runs/<model>/<dataset>).")
    flags.DEFINE_string("hparams", "", 'Overrides of the model config, e.g. "batch_size=50,dec_rnn_size=256".')
    flags.DEFINE_integer("num_steps", None, "Total optimizer steps to train for (default: the model's).")
    flags.DEFINE_integer("save_every", None, "Validate and checkpoint every this many steps (default: the model's).")
    flags.DEFINE_bool("resume", False, "Continue the checkpoint already in the run directory.")
    flags.DEFINE_string("init_from", None, "Start a new run from the weights of this run directory or shipped "
                        "model (e.g. pretrained/char_rnn_shakespeare): fine-tuning, with the step count, schedules "
                        "and optimizer afresh; its architecture and data statistics (vocabulary, scale) are kept.")
    flags.DEFINE_integer("seed", None, "Random seed for reproducible runs.")
    flags.DEFINE_enum("distribute", "none", ["none", "mirrored", "multi_worker"],
                      "Training on several devices: mirrored = all GPUs (or CPUs) of this machine, multi_worker = "
                      "several machines described by the TF_CONFIG environment variable (docs/distributed.md).")


def define_common_sample_flags() -> None:
    flags.DEFINE_enum("model", "sketch_rnn", MODELS, "Which model to sample from.")
    flags.DEFINE_string("run_dir", None, "Run directory made by train.py (default: the newest run of --model, "
                        "else the trained model shipped in pretrained/).")
    flags.DEFINE_float("temperature", None, "Sampling temperature (default: the model's).")
    flags.DEFINE_bool("greedy", False, "sketch_rnn, char_rnn: take the most likely value at every step.")
    flags.DEFINE_integer("num_samples", None, "How many samples to draw (default: the model's).")
    flags.DEFINE_integer("steps", None, "How long a sample is: char_rnn, characters after the prime (default "
                         "1000); handwriting prediction, points (default 700); handwriting synthesis, the step cap "
                         "(default 40 points per character; sampling stops by the window rule).")
    flags.DEFINE_integer("seed", None, "Random seed for reproducible samples.")
    flags.DEFINE_string("output", None, "Output file (SVG for stroke models, text for char_rnn).")
    flags.DEFINE_string("export_dir", None, "Write a SavedModel with sampling signatures to this directory.")
    flags.DEFINE_string("data_dir", None, "Data location for modes that read real drawings or lines "
                        "(default: the one used in training).")


def run_main(argv: Sequence[str], entry: Callable[[flags.FlagValues], object]) -> None:
    """Call entry(flags.FLAGS) with quiet TensorFlow; a user error becomes one line on stderr and
    exit status 1 (RNNGEN_DEBUG=1 shows the traceback instead)."""
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    try:
        entry(flags.FLAGS)
    except USER_ERRORS as e:
        if os.environ.get("RNNGEN_DEBUG"):
            raise
        print(f"Error: {e}", file=sys.stderr)
        sys.exit(1)
