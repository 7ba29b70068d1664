"""Shared run utilities: --hparams parsing, config files, newest run lookup."""
import dataclasses
import os
import time

import pytest

from run_utils.config import apply_hparams, load_config, save_config
from run_utils.rundir import newest_run


@dataclasses.dataclass
class Example:
    size: int = 4
    rate: float = 0.5
    use_it: bool = True
    name: str = "lstm"
    files: list[str] = dataclasses.field(default_factory=lambda: ["a.npz"])


def test_hparams_override_with_types_and_lists():
    c = apply_hparams(Example(), "size=8, rate=1e-3,use_it=false,name=hyper,files=[x.npz,y.npz]")
    assert c == Example(size=8, rate=0.001, use_it=False, name="hyper", files=["x.npz", "y.npz"])
    assert apply_hparams(Example(), "") == Example()


@pytest.mark.parametrize("spec,message", [
    ("sise=3", "Unknown hparam 'sise'. Valid names: files, name, rate, size, use_it"),
    ("size=big", "hparam 'size' expects a value of type int, got 'big'"),
    ("use_it=maybe", "hparam 'use_it' expects a value of type bool"),
    ("size", "is not of the form name=value"),
    ("files=x.npz", "Lists are written in brackets"),
])
def test_bad_hparams_are_explained(spec, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        apply_hparams(Example(), spec)


def test_config_round_trip_and_errors(tmp_path):
    path = str(tmp_path / "config.json")
    save_config(Example(size=9), path)
    assert load_config(Example, path) == Example(size=9)
    with open(path, "w") as f:
        f.write('{"size": 3, "colour": 1}')
    with pytest.raises(ValueError, match="colour"):
        load_config(Example, path)
    with open(path, "w") as f:
        f.write('{"size": ')
    with pytest.raises(ValueError, match="not valid JSON"):
        load_config(Example, path)
    with pytest.raises(FileNotFoundError, match="made by train.py"):
        load_config(Example, str(tmp_path / "missing.json"))


def test_newest_run_ignores_exported_copies(tmp_path):
    old = tmp_path / "m" / "old"
    new = tmp_path / "m" / "new"
    for run in (old, new):
        os.makedirs(run / "saved_model" / "assets.extra")
        save_config(Example(), str(run / "config.json"))
        (run / "best.weights.h5").write_bytes(b"weights")
    time.sleep(0.05)
    save_config(Example(), str(old / "saved_model" / "assets.extra" / "config.json"))
    os.utime(new / "config.json")
    assert newest_run("m", root=str(tmp_path)) == str(new)
    with pytest.raises(FileNotFoundError, match="Train one first"):
        newest_run("other", root=str(tmp_path))


def test_newest_run_skips_a_failed_start_without_weights(tmp_path):
    """A start that failed after writing config.json must not hide the trained runs."""
    good = tmp_path / "m" / "good"
    os.makedirs(good / "checkpoints")
    save_config(Example(), str(good / "config.json"))
    (good / "checkpoints" / "ckpt-5.index").write_bytes(b"")
    time.sleep(0.05)
    failed = tmp_path / "m" / "failed"
    os.makedirs(failed)
    save_config(Example(), str(failed / "config.json"))
    assert newest_run("m", root=str(tmp_path)) == str(good)
    os.remove(good / "checkpoints" / "ckpt-5.index")
    with pytest.raises(FileNotFoundError, match=r"\(2 run directories there hold no weights yet\)"):
        newest_run("m", root=str(tmp_path))
