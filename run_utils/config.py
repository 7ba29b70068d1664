"""Dataclass configs: `--hparams="k=v,k=v"` overrides (like the original HParams.parse) and JSON I/O."""
import dataclasses
import json
import math
import os
import typing

from fileio.files import save_json
from run_utils.rundir import CONFIG_NAME, check_same_data

if typing.TYPE_CHECKING:
    from run_utils.cli import TrainRun

Config = typing.TypeVar("Config")  # a model's config dataclass


def _split_top_level(spec):
    """Split "a=1,b=[x,y],c=2" on commas that are not inside brackets."""
    parts, depth, current = [], 0, []
    for ch in spec:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


MAX_SIZE = 1 << 16  # the largest value of a *_size field: a layer beyond it does not fit in memory


def _convert(name, text, field_type):
    origin = typing.get_origin(field_type)
    if field_type is float:
        try:
            value = float(text)
        except ValueError:
            value = None
        if value is not None and not math.isfinite(value):
            raise ValueError(f"hparam '{name}' must be a finite number; got '{text}'.")
    try:
        if field_type is bool:
            low = text.lower()
            if low in ("true", "1", "yes"):
                return True
            if low in ("false", "0", "no"):
                return False
            raise ValueError(text)
        if field_type is int:
            return int(text)
        if field_type is float:
            return float(text)
        if origin in (list, tuple):
            if not (text.startswith("[") and text.endswith("]")):
                raise ValueError(text)
            (item_type,) = set(typing.get_args(field_type)) - {Ellipsis} or {str}
            items = [t.strip() for t in text[1:-1].split(",") if t.strip()]
            return [_convert(name, t, item_type) for t in items]
        return text
    except ValueError:
        raise ValueError(
            f"hparam '{name}' expects a value of type {getattr(field_type, '__name__', field_type)}, "
            f"got '{text}'. Lists are written in brackets, e.g. {name}=[a,b]."
        ) from None


def apply_hparams(config: Config, spec: str) -> Config:
    """Return a copy of the dataclass `config` with the overrides in `spec` ("k=v,k=v") applied."""
    if not spec:
        return config
    hints = typing.get_type_hints(type(config))
    names = {f.name for f in dataclasses.fields(config)}
    updates = {}
    for item in _split_top_level(spec):
        if "=" not in item:
            raise ValueError(f"--hparams item '{item}' is not of the form name=value.")
        key, value = (s.strip() for s in item.split("=", 1))
        if key not in names:
            raise ValueError(
                f"Unknown hparam '{key}'. Valid names: {', '.join(sorted(names))}."
            )
        updates[key] = _convert(key, value, hints[key])
    check_sizes(updates, "--hparams")
    return dataclasses.replace(config, **updates)


def check_sizes(values: dict, source: str) -> None:
    """Refuse *_size values beyond MAX_SIZE (a layer that size cannot be built), naming the key."""
    for key, value in values.items():
        if key.endswith("size") and isinstance(value, int) and value > MAX_SIZE:
            raise ValueError(f"{source}: {key}={value:,} is beyond {MAX_SIZE:,}; a layer that size does not fit "
                             "in memory.")


def _check_json_value(cls_name, path, key, value, field_type):
    """A config.json value of the field's type (the JSON types of what --hparams accepts), else a
    ValueError naming the file and the key."""
    def fail(expected):
        raise ValueError(f"{path}: {key} must be {expected}, got {json.dumps(value)}. The file was edited or "
                         f"damaged: fix the value or restore the file (it was written by train.py for {cls_name}).")
    origin = typing.get_origin(field_type)
    if field_type is bool:
        if not isinstance(value, bool):
            fail("true or false")
    elif field_type is int:
        if isinstance(value, bool) or not isinstance(value, int):
            fail("an integer")
    elif field_type is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            fail("a finite number")
    elif field_type is str:
        if not isinstance(value, str):
            fail("a string")
    elif origin in (list, tuple):
        (item_type,) = set(typing.get_args(field_type)) - {Ellipsis} or {str}
        if not isinstance(value, list) or not all(
                isinstance(v, item_type) and not isinstance(v, bool) or (item_type is float and isinstance(v, int))
                for v in value):
            fail(f"a list of {getattr(item_type, '__name__', item_type)}")
    elif field_type is dict or origin is dict:
        if not isinstance(value, dict):
            fail("an object")


def save_config(config: Config, path: str) -> None:
    """Write a dataclass config as JSON, atomically."""
    save_json(dataclasses.asdict(config), path)


def load_config(cls: type[Config], path: str) -> Config:
    """Load a dataclass of type `cls` from JSON; fields missing in the file keep their defaults."""
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"No config file at {path}. Point --run_dir at a directory made by train.py."
        )
    try:
        with open(path) as f:
            values = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON ({e}); it may be truncated. "
                         "Restore it or retrain.") from None
    if not isinstance(values, dict):
        raise ValueError(f"{path} is not a JSON object of hparams; restore it or retrain.")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValueError(f"{path} has fields {unknown} that {cls.__name__} does not know; "
                         "it was written by a different model or version.")
    hints = typing.get_type_hints(cls)
    for key, value in values.items():
        _check_json_value(cls.__name__, path, key, value, hints[key])
    check_sizes(values, path)
    missing = [f.name for f in dataclasses.fields(cls) if f.name not in values]
    if missing:
        print(f"Note: {path} does not give {', '.join(missing)}; the defaults are used.", flush=True)
    try:
        return cls(**values)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


SCHEDULE_FIELDS = ("num_steps", "save_every")


def training_config(defaults: Config, run_dir: str, run: "TrainRun", resumable=SCHEDULE_FIELDS) -> tuple[Config, bool]:
    """The config a train.py run uses, and whether it resumes: (config, resuming).

    New run: `defaults` (a dataclass config) with --hparams applied. Resumed run (--resume and
    run_dir/config.json exists): the run's own config; of the --hparams overrides only those of
    `resumable` fields (the schedule) are applied; any other is dropped with a printed note naming
    it, since the checkpoint was trained with the saved values. --num_steps and --save_every
    override the schedule in both cases. With --init_from (a new run that starts from another
    run's weights) the source's config.json takes the place of `defaults`, so the architecture and
    the data statistics (vocabulary, scale factor) stay those the weights were trained with. Bad
    values fail in the config's own validation, before anything is written."""
    config_path = os.path.join(run_dir, CONFIG_NAME)
    resuming = bool(run.resume) and os.path.exists(config_path)
    if resuming:
        check_same_data(run_dir, run.data_dir)
        config = load_config(type(defaults), config_path)
        requested = apply_hparams(config, run.hparams)
        changed = [f.name for f in dataclasses.fields(config) if getattr(requested, f.name) != getattr(config, f.name)]
        dropped = [name for name in changed if name not in resumable]
        if dropped:
            print(f"Note: resuming {run_dir} keeps the hyperparameters in its {CONFIG_NAME}; dropped --hparams "
                  f"overrides: {', '.join(f'{n}={getattr(requested, n)}' for n in dropped)} (the run has "
                  f"{', '.join(f'{n}={getattr(config, n)}' for n in dropped)}). Start a new run (another "
                  "--log_root) to change them.", flush=True)
        config = dataclasses.replace(config, **{n: getattr(requested, n) for n in changed if n in resumable})
    elif run.init_from:  # fine-tuning: the source's architecture and data statistics
        source = os.path.join(run.init_from, CONFIG_NAME)
        if not os.path.exists(source):
            raise FileNotFoundError(f"--init_from={run.init_from} has no {CONFIG_NAME}: point it at a run "
                                    "directory made by train.py or at a model in pretrained/.")
        config = apply_hparams(load_config(type(defaults), source), run.hparams)
    else:
        config = apply_hparams(defaults, run.hparams)
    schedule = {name: getattr(run, name) for name in SCHEDULE_FIELDS if getattr(run, name, None) is not None}
    return dataclasses.replace(config, **schedule), resuming
