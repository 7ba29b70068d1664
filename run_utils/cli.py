"""What train.py and sample.py share: their command lines as typed values (TrainRun, SampleRun),
built once from the flags here; the flags every model reads; each model's own flags, defined from
the dataclasses of its options (run_utils.registry.ModelSpec.train_options / sample_options) and
refused, naming the model, when given to another model; and user errors as one clear line.

Nothing below this module sees the absl flags object: the models' train and sample entry points
and the shared training code take a TrainRun or a SampleRun.
"""
import dataclasses
import os
import sys
import typing
from collections.abc import Callable, Sequence

from absl import app, flags

from run_utils import registry

# Errors whose message tells the user what to fix (bad data, bad flags, missing runs, no network).
USER_ERRORS = (ValueError, FileNotFoundError, RuntimeError, OSError)
DISTRIBUTE = ("none", "mirrored", "multi_worker")


def option(help: str, choices: Sequence[str] | None = None, **field_kwargs) -> dataclasses.Field:
    """A field of a model's options dataclass: its flag's help text (and allowed values)."""
    return dataclasses.field(metadata={"help": help, "choices": choices}, **field_kwargs)


@dataclasses.dataclass(frozen=True)
class TrainRun:
    """One train.py command line (python train.py --help lists the flags)."""
    model: str = registry.PACKAGES[0]
    data_dir: str | None = None
    log_root: str | None = None
    hparams: str = ""
    num_steps: int | None = None
    save_every: int | None = None
    resume: bool = False
    init_from: str | None = None
    seed: int | None = None
    distribute: str = "none"
    options: typing.Any = None  # the model's train_options (its defaults when None)

    def __post_init__(self):
        if self.options is None:
            object.__setattr__(self, "options", registry.spec(self.model).train_options())


@dataclasses.dataclass(frozen=True)
class SampleRun:
    """One sample.py command line (python sample.py --help lists the flags)."""
    model: str = registry.PACKAGES[0]
    run_dir: str | None = None
    temperature: float | None = None
    num_samples: int | None = None
    seed: int | None = None
    output: str | None = None
    export_dir: str | None = None
    data_dir: str | None = None
    options: typing.Any = None  # the model's sample_options (its defaults when None)

    def __post_init__(self):
        if self.options is None:
            object.__setattr__(self, "options", registry.spec(self.model).sample_options())


def define_train_flags(values: flags.FlagValues = flags.FLAGS) -> None:
    """train.py's flags: those every model reads, and each model's own (into `values`)."""
    flags.DEFINE_enum("model", registry.PACKAGES[0], registry.PACKAGES, "Which model to train.",
                      flag_values=values)
    flags.DEFINE_string("data_dir", None, "Where the training data is (each model says what it expects).",
                        flag_values=values)
    flags.DEFINE_string("log_root", None, "Run directory for config.json, checkpoints, logs and the "
                        "SavedModel (default runs/<model>/<dataset>).", flag_values=values)
    flags.DEFINE_string("hparams", "", 'Overrides of the model config, e.g. "batch_size=50,dec_rnn_size=256".',
                        flag_values=values)
    flags.DEFINE_integer("num_steps", None, "Total optimizer steps to train for (default: the model's).",
                         flag_values=values)
    flags.DEFINE_integer("save_every", None, "Validate and checkpoint every this many steps (default: the model's).",
                         flag_values=values)
    flags.DEFINE_bool("resume", False, "Continue the checkpoint already in the run directory.", flag_values=values)
    flags.DEFINE_string("init_from", None, "Start a new run from the weights of this run directory or shipped "
                        "model (e.g. pretrained/char_rnn_shakespeare): fine-tuning, with the step count, schedules "
                        "and optimizer afresh; its architecture and data statistics (vocabulary, scale) are kept.",
                        flag_values=values)
    flags.DEFINE_integer("seed", None, "Random seed for reproducible runs (default: a new one, recorded in the run "
                         "directory, so --resume continues exactly).", flag_values=values)
    flags.DEFINE_enum("distribute", "none", DISTRIBUTE,
                      "Training on several devices: mirrored = all GPUs (or CPUs) of this machine, multi_worker = "
                      "several machines described by the TF_CONFIG environment variable (docs/distributed.md).",
                      flag_values=values)
    for spec in registry.specs():
        define_options(spec.train_options, spec.name, values)


def define_sample_flags(values: flags.FlagValues = flags.FLAGS) -> None:
    """sample.py's flags: those every model reads, and each model's own (into `values`)."""
    flags.DEFINE_enum("model", registry.PACKAGES[0], registry.PACKAGES, "Which model to sample from.",
                      flag_values=values)
    flags.DEFINE_string("run_dir", None, "Run directory made by train.py (default: the newest run of --model, "
                        "else the trained model shipped in pretrained/).", flag_values=values)
    flags.DEFINE_float("temperature", None, "Sampling temperature (default: the model's).", flag_values=values)
    flags.DEFINE_integer("num_samples", None, "How many samples to draw (default: the model's).", flag_values=values)
    flags.DEFINE_integer("seed", None, "Random seed for reproducible samples.", flag_values=values)
    flags.DEFINE_string("output", None, "Output file (SVG for stroke models, text for char_rnn).", flag_values=values)
    flags.DEFINE_string("export_dir", None, "Write a SavedModel with sampling signatures to this directory.",
                        flag_values=values)
    flags.DEFINE_string("data_dir", None, "Data location for modes that read real drawings or lines "
                        "(default: the one used in training).", flag_values=values)
    for spec in registry.specs():
        define_options(spec.sample_options, spec.name, values)


# ----- a model's own flags --------------------------------------------------------------------------
_OWNERS: dict[int, dict[str, set[str]]] = {}  # id(FlagValues) -> flag name -> the models whose options define it


def _flag_kind(annotation):
    """(absl DEFINE function name, item type) of an options field's type (X | None is X)."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    base = args[0] if typing.get_origin(annotation) in (typing.Union, __import__("types").UnionType) \
        and len(args) == 1 else annotation
    if typing.get_origin(base) is list:
        return "DEFINE_list"
    return {bool: "DEFINE_bool", int: "DEFINE_integer", float: "DEFINE_float", str: "DEFINE_string"}[base]


def define_options(options: type, model: str, values: flags.FlagValues = flags.FLAGS) -> None:
    """Define one absl flag per field of the dataclass `options` (its default, type and help); a
    flag several models share is defined once. Remembers which models own each flag."""
    hints = typing.get_type_hints(options)
    owners = _OWNERS.setdefault(id(values), {})
    for field in dataclasses.fields(options):
        default = field.default_factory() if field.default_factory is not dataclasses.MISSING else field.default
        help_text = field.metadata["help"]
        if field.name not in values:
            if field.metadata.get("choices"):
                flags.DEFINE_enum(field.name, default, field.metadata["choices"], help_text, flag_values=values)
            else:
                getattr(flags, _flag_kind(hints[field.name]))(field.name, default, help_text, flag_values=values)
        owners.setdefault(field.name, set()).add(model)


def _options(options: type, model: str, values: flags.FlagValues):
    """The model's options from the parsed flags; a flag of another model's given here is an error."""
    mine = {f.name for f in dataclasses.fields(options)}
    owners_of = _OWNERS.get(id(values), {})
    foreign = sorted(name for name in owners_of if name not in mine and values[name].present)
    if foreign:
        owners = "; ".join(f"--{n} is {' and '.join(sorted(owners_of[n]))}'s" for n in foreign)
        raise ValueError(f"--model={model} does not read {', '.join('--' + n for n in foreign)} ({owners}). "
                         f"Leave {'it' if len(foreign) == 1 else 'them'} out, or pick that --model.")
    return options(**{name: values[name].value for name in mine})


def train_run(values: flags.FlagValues) -> TrainRun:
    """The TrainRun of a parsed train.py command line."""
    spec = registry.spec(values.model)
    common = {f.name: values[f.name].value for f in dataclasses.fields(TrainRun) if f.name != "options"}
    return TrainRun(**common, options=_options(spec.train_options, spec.name, values))


def sample_run(values: flags.FlagValues) -> SampleRun:
    """The SampleRun of a parsed sample.py command line."""
    spec = registry.spec(values.model)
    common = {f.name: values[f.name].value for f in dataclasses.fields(SampleRun) if f.name != "options"}
    return SampleRun(**common, options=_options(spec.sample_options, spec.name, values))


def run_main(argv: Sequence[str], entry: Callable[[flags.FlagValues], object]) -> None:
    """Call entry(flags.FLAGS) with quiet TensorFlow; a user error becomes one line on stderr and
    exit status 1 (RNNGEN_DEBUG=1 shows the traceback instead)."""
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    try:
        entry(flags.FLAGS)
    except USER_ERRORS as e:
        if os.environ.get("RNNGEN_DEBUG"):
            raise
        print(f"Error: {e}", file=sys.stderr)
        sys.exit(1)
