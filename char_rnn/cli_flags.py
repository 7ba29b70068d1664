"""char_rnn's command-line flags (defined here, parsed by the top-level train.py/sample.py).

Training needs no flags of its own: --data_dir, --hparams (including valid_fraction), --num_steps,
--save_every, --resume and --seed are the common ones. Sampling also uses the common
--temperature, --num_samples, --seed, --output, --export_dir and --greedy (defined once for all
models by sketch_rnn/cli_flags.py).
"""
from absl import flags


def define_train_flags():
    return None


def define_sample_flags():
    flags.DEFINE_string("prime", None, "char_rnn: text fed to the model before sampling; the output starts "
                        "with it (default: a newline, or the vocabulary's first character if it has none).")
    flags.DEFINE_integer("length", 1000, "char_rnn: number of characters to generate after the prime.")
    flags.DEFINE_integer("top_k", 0, "char_rnn: sample only among the k most likely characters (0: all).")
