"""The shared body of the top-level train.py / sample.py: quiet TensorFlow, dispatch, and turn
user errors into one clear line instead of a traceback."""
import importlib
import os
import sys

from absl import app

MODELS = ("sketch_rnn", "handwriting", "char_rnn")
# Errors whose message tells the user what to fix (bad data, bad flags, missing runs, no network).
USER_ERRORS = (ValueError, FileNotFoundError, RuntimeError, OSError)


def dispatch(argv, flags, entry):
    """Call <flags.model>.<entry>.main(flags) (entry: "train" or "sample").
    Set RNNGEN_DEBUG=1 to see the full traceback of a user error."""
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    from run_utils.quiet import silence_tensorflow
    silence_tensorflow()
    module = importlib.import_module(f"{flags.model}.{entry}")
    try:
        module.main(flags)
    except USER_ERRORS as e:
        if os.environ.get("RNNGEN_DEBUG"):
            raise
        print(f"Error: {e}", file=sys.stderr)
        sys.exit(1)
