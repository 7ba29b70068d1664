"""Sample from a trained model: python sample.py --model={sketch_rnn,handwriting,char_rnn} [flags].

Without --run_dir the newest run of the model under runs/ is used. --export_dir writes a
SavedModel instead of (or as well as) sampling. Only parses flags and dispatches to
<model>.sample.main(FLAGS); every model's own flags live in <model>/cli_flags.py.
"""
from absl import app, flags

from char_rnn import cli_flags as char_rnn_flags
from handwriting import cli_flags as handwriting_flags
from run_utils.cli import MODELS, dispatch
from sketch_rnn import cli_flags as sketch_rnn_flags

flags.DEFINE_enum("model", "sketch_rnn", MODELS, "Which model to sample from.")
flags.DEFINE_string("run_dir", None, "Run directory made by train.py (default: the newest run of --model).")
flags.DEFINE_float("temperature", None, "Sampling temperature (default: the model's).")
flags.DEFINE_integer("num_samples", None, "How many samples to draw (default: the model's).")
flags.DEFINE_integer("seed", None, "Random seed for reproducible samples.")
flags.DEFINE_string("output", None, "Output file (SVG for stroke models, text for char_rnn).")
flags.DEFINE_string("export_dir", None, "Write a SavedModel with sampling signatures to this directory.")
flags.DEFINE_string("data_dir", None, "Data location for modes that read real drawings or lines (default: the one used in training).")
for _module in (sketch_rnn_flags, handwriting_flags, char_rnn_flags):
    _module.define_sample_flags()

FLAGS = flags.FLAGS


def main(argv):
    dispatch(argv, FLAGS, "sample")


if __name__ == "__main__":
    app.run(main)
