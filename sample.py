"""Sample from a trained model: python sample.py --model={sketch_rnn,handwriting,char_rnn} [flags].

Without --run_dir the newest run of the model under runs/ is used, else the trained model shipped
in pretrained/. --export_dir writes a SavedModel instead. Only parses flags and dispatches: the
command line becomes a run_utils.cli.SampleRun, handed to the model's sample entry point
(run_utils.registry).
"""
from run_utils.quiet import silence_tensorflow

silence_tensorflow()  # before anything imports TensorFlow

from absl import app  # noqa: E402

from run_utils import cli, registry  # noqa: E402

cli.define_sample_flags()


def sample(values) -> None:
    run = cli.sample_run(values)
    registry.spec(run.model).load("sample")(run)


def main(argv):
    cli.run_main(argv, sample)


def run():
    """Console entry point (rnngen-sample)."""
    app.run(main)


if __name__ == "__main__":
    run()
