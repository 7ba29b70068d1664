"""Sample from a trained model: python sample.py --model={sketch_rnn,handwriting,char_rnn} [flags].

Without --run_dir the newest run of the model under runs/ is used, else the trained model shipped
in pretrained/. --export_dir writes a SavedModel instead. Only parses flags and dispatches to
<model>.sample.main(FLAGS); the flags every model reads are in run_utils/cli.py, each model's own
in <model>/cli_flags.py.
"""
from run_utils.quiet import silence_tensorflow

silence_tensorflow()  # before anything imports TensorFlow

from absl import app  # noqa: E402

from char_rnn import cli_flags as char_rnn_flags  # noqa: E402
from char_rnn import sample as char_rnn_sample  # noqa: E402
from handwriting import cli_flags as handwriting_flags  # noqa: E402
from handwriting import sample as handwriting_sample  # noqa: E402
from run_utils.cli import define_common_sample_flags, run_main  # noqa: E402
from sketch_rnn import cli_flags as sketch_rnn_flags  # noqa: E402
from sketch_rnn import sample as sketch_rnn_sample  # noqa: E402

SAMPLERS = {"sketch_rnn": sketch_rnn_sample.main, "handwriting": handwriting_sample.main,
            "char_rnn": char_rnn_sample.main}

define_common_sample_flags()
for _model_flags in (sketch_rnn_flags, handwriting_flags, char_rnn_flags):
    _model_flags.define_sample_flags()


def main(argv):
    run_main(argv, lambda f: SAMPLERS[f.model](f))


def run():
    """Console entry point (rnngen-sample)."""
    app.run(main)


if __name__ == "__main__":
    run()
