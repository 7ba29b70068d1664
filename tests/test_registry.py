"""The registry is the one list of models, and adding one is its package plus one registry line
(docs/architecture.md, "How to add a model"): a toy model package written here trains with
train.py, samples with sample.py and ships with pretrained/ship.py once its name joins
run_utils.registry.PACKAGES; nothing else in the project names it."""
import os
import subprocess
import sys
import textwrap

import pytest

from run_utils import registry
from tests.conftest import ROOT

TOY = {
    "__init__.py": '''
        from run_utils.registry import ModelSpec
        from toy_rnn.options import SampleOptions, TrainOptions

        SPEC = ModelSpec(
            name="toy_rnn", shipped="toy_rnn_sine", web="toy", train_options=TrainOptions,
            sample_options=SampleOptions, config="toy_rnn.config:ToyConfig", build_model="toy_rnn.model:build_model",
            train="toy_rnn.train:main", sample="toy_rnn.sample:main", export="toy_rnn.ship:export",
            ship="toy_rnn.ship", demo="toy_rnn.ship:demo", web_loader="toy_rnn.ship:web_loader")
    ''',
    "options.py": '''
        import dataclasses
        from run_utils.cli import option

        @dataclasses.dataclass(frozen=True)
        class TrainOptions:
            wave: float = option("toy_rnn: the sine's frequency.", default=0.3)

        @dataclasses.dataclass(frozen=True)
        class SampleOptions:
            length: int = option("toy_rnn: values to generate.", default=20)
    ''',
    "config.py": '''
        import dataclasses

        @dataclasses.dataclass
        class ToyConfig:
            units: int = 8
            num_steps: int = 4
            save_every: int = 2
            frequency: float = 0.3
    ''',
    "model.py": '''
        import keras

        def build_model(config, compile=True):
            model = keras.Sequential([keras.Input((None, 1)), keras.layers.LSTM(config.units, return_sequences=True),
                                      keras.layers.Dense(1)])
            if compile:
                model.compile(optimizer="adam", loss="mse")
            return model
    ''',
    "train.py": '''
        import os
        import numpy as np
        import tensorflow as tf
        from run_utils.config import save_config, training_config
        from run_utils.rundir import CONFIG_NAME, EXPORT_DIR, default_run_dir
        from run_utils.training import check_resume, fit_resumable, training_session
        from toy_rnn.config import ToyConfig
        from toy_rnn.model import build_model
        from toy_rnn.ship import export

        def main(run):
            run_dir = run.log_root or default_run_dir("toy_rnn", "sine")
            config, _ = training_config(ToyConfig(frequency=run.options.wave), run_dir, run)
            check_resume(run_dir, run.resume)
            with training_session(run_dir, run) as (strategy, chief, seed):
                save_config(config, os.path.join(run_dir, CONFIG_NAME))
                wave = np.sin(np.arange(2000) * config.frequency).astype(np.float32)[:, None]

                def train_data(start):
                    x = tf.data.Dataset.from_tensor_slices(np.stack([wave[i:i + 20] for i in range(0, 1900, 7)]))
                    return x.map(lambda w: (w[:-1], w[1:])).repeat().batch(8).skip(start)

                model = build_model(config)
                fit_resumable(model, train_data, None, run_dir, config.num_steps, config.save_every, resume=run.resume)
                export(run_dir, os.path.join(run_dir, EXPORT_DIR))
    ''',
    "sample.py": '''
        import numpy as np
        from fileio.files import save_text
        from run_utils.rundir import run_for_sampling
        from run_utils.training import load_trained
        from toy_rnn.config import ToyConfig
        from toy_rnn.model import build_model

        def main(run):
            config, model = load_trained(run_for_sampling("toy_rnn", run.run_dir), ToyConfig, build_model)
            values = [0.0]
            for _ in range(run.options.length):
                values.append(float(model(np.array(values, np.float32)[None, :, None])[0, -1, 0]))
            save_text(" ".join(f"{v:.3f}" for v in values), run.output)
    ''',
    "ship.py": '''
        import os
        import numpy as np
        import tensorflow as tf
        from run_utils.export import ExportModule, write_saved_model
        from run_utils.training import load_trained
        from toy_rnn.config import ToyConfig
        from toy_rnn.model import build_model

        EXTRA_FILES = ()

        def export(run_dir, export_dir):
            _, model = load_trained(run_dir, ToyConfig, build_model)
            module = ExportModule(model)
            module.predict = tf.function(lambda x: {"y": module.model(x)},
                                         input_signature=[tf.TensorSpec([None, None, 1], tf.float32)])
            return write_saved_model(module, {"predict": module.predict}, export_dir, {})

        def check_value(run_dir):
            _, model = load_trained(run_dir, ToyConfig, build_model)
            return float(np.mean(model(np.ones((1, 5, 1), np.float32))))

        def evaluation(run_dir, config):
            return {"what": "no validation"}

        def copy_data(run_dir, dest, config, whole=True, styles=()):
            return None

        def copy_converted(run_dir, dest, config):
            raise ValueError("no conversions")

        def finish(dest, config, converted):
            return None

        def demo(out, seed):
            return iter(())

        def web_loader(path):
            raise ValueError("no web tab")
    ''',
}


def test_the_registry_lists_every_model_package_and_its_contract():
    assert registry.PACKAGES == ("sketch_rnn", "handwriting", "char_rnn")
    for spec in registry.specs():
        assert spec.name in registry.PACKAGES and spec.web in ("sketch", "handwriting", "text")
        for field in ("config", "build_model", "train", "sample", "export", "ship", "demo", "web_loader"):
            assert spec.load(field) is not None, (spec.name, field)
    with pytest.raises(ValueError, match="Unknown model 'nope'; the models are: sketch_rnn, handwriting, char_rnn"):
        registry.spec("nope")


@pytest.mark.slow  # two subprocess CLI runs
def test_a_new_model_is_its_package_plus_one_registry_line(tmp_path):
    package = tmp_path / "toy_rnn"
    package.mkdir()
    for name, source in TOY.items():
        (package / name).write_text(textwrap.dedent(source).lstrip())
    run_dir = tmp_path / "runs" / "toy"
    line = "import run_utils.registry as r; r.PACKAGES += ('toy_rnn',)"  # the one registry line

    def cli(script, *argv):
        module = script[:-3]
        code = f"import sys; sys.argv = ['{script}', *{list(argv)!r}]; {line}; import {module}; {module}.run()"
        env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}", "TF_CPP_MIN_LOG_LEVEL": "3"}
        return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                              timeout=300, env=env)

    trained = cli("train.py", "--model=toy_rnn", f"--log_root={run_dir}", "--wave=0.2", "--seed=3")
    assert trained.returncode == 0, trained.stdout[-2000:] + trained.stderr[-2000:]
    assert (run_dir / "saved_model" / "saved_model.pb").exists() and (run_dir / "checkpoints").is_dir()
    sampled = cli("sample.py", "--model=toy_rnn", f"--run_dir={run_dir}", "--length=5", "--output=toy.txt")
    assert sampled.returncode == 0, sampled.stderr[-2000:]
    assert len((tmp_path / "toy.txt").read_text().split()) == 6
    foreign = cli("train.py", "--model=toy_rnn", f"--log_root={tmp_path / 'other'}", "--category=cat")
    assert foreign.returncode == 1 and "--model=toy_rnn does not read --category (--category is sketch_rnn's)" \
        in foreign.stderr
