"""Train a model: python train.py --model={sketch_rnn,handwriting,char_rnn} [flags].

Only parses flags and dispatches: the command line becomes a run_utils.cli.TrainRun (the flags
every model reads, and the model's own options from its registry entry), handed to the model's
train entry point (run_utils.registry).
"""
from run_utils.quiet import silence_tensorflow

silence_tensorflow()  # before anything imports TensorFlow

from absl import app  # noqa: E402

from run_utils import cli, registry  # noqa: E402

cli.define_train_flags()


def train(values) -> None:
    run = cli.train_run(values)
    registry.spec(run.model).load("train")(run)


def main(argv):
    cli.run_main(argv, train)


def run():
    """Console entry point (rnngen-train)."""
    app.run(main)


if __name__ == "__main__":
    run()
