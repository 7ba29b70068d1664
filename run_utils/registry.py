"""The models of the project: the one list of them, and the contract each model package fulfils.

A model is a package whose `__init__.py` defines `SPEC`, a ModelSpec: its name, the shipped model,
the web page's kind, the dataclasses of its own command-line options, and "module:attribute"
references to its config class, build_model, train and sample entry points, export, shipping and
demo functions. The references are imported when used, so listing the models imports no
TensorFlow. train.py, sample.py, serve.py, demo.py, pretrained/ship.py and the run-directory
fallback read this registry; adding a model is writing its package and one line in PACKAGES
(docs/architecture.md, "How to add a model").
"""
import dataclasses
import importlib

PACKAGES = ("sketch_rnn", "handwriting", "char_rnn")


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    name: str                 # --model=<name>, runs/<name>/
    shipped: str              # pretrained/<shipped>/: the model sample.py and serve.py fall back to
    web: str                  # the page's tab and API for it: "sketch", "handwriting" or "text"
    train_options: type       # dataclass of its own train.py flags (run_utils.cli.define_options)
    sample_options: type      # dataclass of its own sample.py flags
    config: str               # "module:Class" of its config dataclass
    build_model: str          # build_model(config, compile=True) -> a built Keras model
    train: str                # main(run: run_utils.cli.TrainRun)
    sample: str               # main(run: run_utils.cli.SampleRun)
    export: str               # export(run_dir, export_dir): the SavedModel of a trained run
    ship: str                 # module with check_value(run_dir), evaluate(run_dir, config), copy_data(...)
    demo: str                 # demo(output_dir, seed): yields (file written, the sample.py command for it)
    web_loader: str           # "web.models:load_..." (the web layer's reader of its SavedModel)

    @classmethod
    def of_package(cls, name: str, shipped: str, web: str, config_class: str, web_loader: str,
                   train_options: type, sample_options: type) -> "ModelSpec":
        """The spec of a package laid out as the recipe says: <name>/config.py holds config_class,
        model.py build_model, train.py and sample.py main, ship.py the shipping parts (export
        included), demo.py demo."""
        return cls(name=name, shipped=shipped, web=web, train_options=train_options, sample_options=sample_options,
                   config=f"{name}.config:{config_class}", build_model=f"{name}.model:build_model",
                   train=f"{name}.train:main", sample=f"{name}.sample:main", export=f"{name}.ship:export",
                   ship=f"{name}.ship", demo=f"{name}.demo:demo", web_loader=web_loader)

    def load(self, field: str):
        """The object a "module:attribute" field names, imported now."""
        module, _, attribute = getattr(self, field).partition(":")
        value = importlib.import_module(module)
        return getattr(value, attribute) if attribute else value


def spec(name: str) -> ModelSpec:
    if name not in PACKAGES:
        raise ValueError(f"Unknown model {name!r}; the models are: {', '.join(PACKAGES)}.")
    return importlib.import_module(name).SPEC


def specs() -> list[ModelSpec]:
    return [spec(name) for name in PACKAGES]
