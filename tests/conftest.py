"""Test-wide setup: quiet TensorFlow, make the project importable, expose the shared data folder."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from run_utils.quiet import silence_tensorflow  # noqa: E402

silence_tensorflow()


@pytest.fixture
def shared_data():
    """The real data sets folder (CI sets RNNGEN_SHARED_DATA); tests using it skip without it."""
    path = os.environ.get("RNNGEN_SHARED_DATA")
    if not path or not os.path.isdir(path):
        pytest.skip("RNNGEN_SHARED_DATA is not set to the shared data folder")
    return path
