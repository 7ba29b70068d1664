"""The shared body of the top-level train.py / sample.py: quiet TensorFlow, then dispatch."""
import importlib

from absl import app

MODELS = ("sketch_rnn", "handwriting", "char_rnn")


def dispatch(argv, flags, entry):
    """Call <flags.model>.<entry>.main(flags) (entry: "train" or "sample")."""
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    from run_utils.quiet import silence_tensorflow
    silence_tensorflow()
    importlib.import_module(f"{flags.model}.{entry}").main(flags)
