"""char_rnn's command-line flags (defined here, parsed by the top-level train.py/sample.py).

Training needs no flags of its own: --data_dir, --hparams (including valid_fraction), --num_steps,
--save_every, --resume and --seed are the common ones (run_utils/cli.py). Sampling also uses the
common --temperature, --greedy, --num_samples, --seed, --output and --export_dir.
"""
from absl import flags


def define_train_flags():
    return None


def define_sample_flags():
    flags.DEFINE_string("prime", None, "char_rnn: text fed to the model before sampling; the output starts "
                        "with it (default: a newline, or the vocabulary's first character if it has none).")
    flags.DEFINE_integer("top_k", 0, "char_rnn: sample only among the k most likely characters (0: all).")
