"""make demo end to end: demo.py writes every promised file from the shipped models, offline."""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # the slow lane (make test-all, CI): see pyproject.toml


def test_demo_writes_every_sample_from_the_shipped_models(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.endswith("_proxy")}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", no_proxy="*", SKETCH_RNN_DATA_URL="http://127.0.0.1:9/offline")
    result = subprocess.run([sys.executable, os.path.join(ROOT, "demo.py"), f"--output_dir={tmp_path / 'samples'}"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    svgs = ["sheep.svg", "sheep_reconstruct.svg", "sheep_interpolate.svg", "sheep_complete.svg", "categories.svg",
            "handwriting.svg"]
    for name in svgs:
        path = tmp_path / "samples" / name
        lines = [e for e in ET.parse(path).iter() if e.tag.endswith("polyline")]
        assert lines, name
        assert f"samples/{name}" in result.stdout and "python sample.py --model=" in result.stdout
    assert len([e for e in ET.parse(tmp_path / "samples" / "sheep.svg").iter() if e.tag.endswith("g")]) >= 16
    captions = [e.text for e in ET.parse(tmp_path / "samples" / "categories.svg").iter() if e.tag.endswith("text")]
    assert {"bird", "sheep", "dog", "palm_tree"} <= set(captions)  # a row of each shipped category
    text = (tmp_path / "samples" / "shakespeare.txt").read_text(encoding="utf-8")
    assert text.startswith("ROMEO:") and len(text) == len("ROMEO:") + 500
