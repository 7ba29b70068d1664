"""Silence TensorFlow's C++ and Python start-up chatter. Call before anything imports tensorflow."""
import logging
import os
import warnings


def silence_tensorflow() -> None:
    """Hide TF's info/warning logs. TF's C++ core prints a few lines (CUDA probing, oneDNN notes)
    before its log level is read, so tensorflow is imported here with file descriptor 2 pointed
    at /dev/null; Python exceptions raised by the import still propagate normally."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore", category=UserWarning, module="tensorflow_probability")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow  # noqa: F401  (imported for its side effect, with stderr muted)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    import absl.logging
    absl.logging.set_verbosity(absl.logging.ERROR)
