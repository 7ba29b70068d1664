"""char_rnn's command-line flags (defined here, parsed by the top-level train.py/sample.py)."""
from absl import flags


def define_train_flags():
    return None


def define_sample_flags():
    return None
