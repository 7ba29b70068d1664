"""Train a model: python train.py --model={sketch_rnn,handwriting,char_rnn} [flags].

Only parses flags and dispatches to <model>.train.main(FLAGS); every model's own flags live in
<model>/cli_flags.py.
"""
from absl import app, flags

from char_rnn import cli_flags as char_rnn_flags
from handwriting import cli_flags as handwriting_flags
from run_utils.cli import MODELS, dispatch
from sketch_rnn import cli_flags as sketch_rnn_flags

flags.DEFINE_enum("model", "sketch_rnn", MODELS, "Which model to train.")
flags.DEFINE_string("data_dir", None, "Where the training data is (each model says what it expects).")
flags.DEFINE_string("log_root", None, "Run directory for config.json, checkpoints, logs and the "
                    "SavedModel (default runs/<model>/<dataset>).")
flags.DEFINE_string("hparams", "", 'Overrides of the model config, e.g. "batch_size=50,dec_rnn_size=256".')
flags.DEFINE_integer("num_steps", None, "Total optimizer steps to train for (default: the model's).")
flags.DEFINE_integer("save_every", None, "Validate and checkpoint every this many steps (default: the model's).")
flags.DEFINE_bool("resume", False, "Continue the checkpoint already in the run directory.")
flags.DEFINE_integer("seed", None, "Random seed for reproducible runs.")
for _module in (sketch_rnn_flags, handwriting_flags, char_rnn_flags):
    _module.define_train_flags()

FLAGS = flags.FLAGS


def main(argv):
    dispatch(argv, FLAGS, "train")


if __name__ == "__main__":
    app.run(main)
