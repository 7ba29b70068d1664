"""Silence TensorFlow's C++ and Python start-up chatter. Call before importing tensorflow."""
import logging
import os
import warnings


def silence_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    warnings.filterwarnings("ignore", category=UserWarning, module="tensorflow_probability")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        import absl.logging
        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # absl is a dependency; this only guards odd environments
        pass
