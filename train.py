"""Train a model: python train.py --model={sketch_rnn,handwriting,char_rnn} [flags].

Only parses flags and dispatches to <model>.train.main(FLAGS); the flags every model reads are
in run_utils/cli.py, each model's own in <model>/cli_flags.py.
"""
from run_utils.quiet import silence_tensorflow

silence_tensorflow()  # before anything imports TensorFlow

from absl import app  # noqa: E402

from char_rnn import cli_flags as char_rnn_flags  # noqa: E402
from char_rnn import train as char_rnn_train  # noqa: E402
from handwriting import cli_flags as handwriting_flags  # noqa: E402
from handwriting import train as handwriting_train  # noqa: E402
from run_utils.cli import define_common_train_flags, run_main  # noqa: E402
from sketch_rnn import cli_flags as sketch_rnn_flags  # noqa: E402
from sketch_rnn import train as sketch_rnn_train  # noqa: E402

TRAINERS = {"sketch_rnn": sketch_rnn_train.main, "handwriting": handwriting_train.main, "char_rnn": char_rnn_train.main}

define_common_train_flags()
for _model_flags in (sketch_rnn_flags, handwriting_flags, char_rnn_flags):
    _model_flags.define_train_flags()


def main(argv):
    run_main(argv, lambda f: TRAINERS[f.model](f))


def run():
    """Console entry point (rnngen-train)."""
    app.run(main)


if __name__ == "__main__":
    run()
