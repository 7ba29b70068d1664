"""The CLIs from the tests: typed runs built from keyword arguments (as train.py and sample.py build
them from the flags), and train.py run in the test process, parsed exactly as on the command line
(faster than a new Python + TensorFlow process per call; one subprocess test per CLI covers the rest)."""
import dataclasses

from run_utils import registry
from run_utils.cli import SampleRun, TrainRun


def _split(run_class, options_class, values):
    common = {f.name for f in dataclasses.fields(run_class)} - {"options"}
    unknown = set(values) - common - {f.name for f in dataclasses.fields(options_class)}
    assert not unknown, f"not flags of this model: {sorted(unknown)}"
    options = options_class(**{k: v for k, v in values.items() if k not in common})
    return run_class(**{k: v for k, v in values.items() if k in common}, options=options)


def train_run(model: str, **values) -> TrainRun:
    """A TrainRun of `model`: the flags every model reads and the model's own, by name."""
    return _split(TrainRun, registry.spec(model).train_options, {"model": model, **values})


def sample_run(model: str, **values) -> SampleRun:
    """A SampleRun of `model`: the flags every model reads and the model's own, by name."""
    return _split(SampleRun, registry.spec(model).sample_options, {"model": model, **values})


def _parse(define, argv):
    from absl import flags
    values = flags.FlagValues()  # a command line of its own: train.py and sample.py flags never meet
    define(values)
    values(["prog", *argv])
    return values


def train_in_process(*argv: str) -> None:
    """python train.py ARGV, in this process: parsed exactly as train.py parses it, then dispatched."""
    from run_utils import cli
    run = cli.train_run(_parse(cli.define_train_flags, argv))
    registry.spec(run.model).load("train")(run)


def sample_in_process(*argv: str) -> None:
    """python sample.py ARGV, in this process."""
    from run_utils import cli
    run = cli.sample_run(_parse(cli.define_sample_flags, argv))
    registry.spec(run.model).load("sample")(run)
