"""The models a web server runs: SavedModels written by `sample.py --export_dir` (or by training,
`<run>/saved_model`), loaded with plain `tf.saved_model.load`, and their metadata (the config JSON
and vocabulary stored beside the variables under assets.extra/).

No model package is imported here: everything the page does goes through the exported signatures,
as it would through TensorFlow Serving; data_utils converts formats (canvas strokes, styles).
"""
import dataclasses
import glob
import json
import os
from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike

from data_utils import strokes as stroke_lib
from data_utils.handwriting_style import Style

# A drawing from the canvas is simplified like the QuickDraw sketch-rnn sets were: scaled so that
# its larger side is this many units, then Ramer-Douglas-Peucker with this epsilon.
CANVAS_BOX = 256.0
CANVAS_RDP_EPSILON = 2.0
CANVAS_MAX_UPSCALE = 4.0  # a small drawing grows at most this much: a dash stays a dash, not a full-box line


class ModelError(ValueError):
    """A model folder that cannot be served; the message names the folder and the fix."""


def saved_model_dir(path: str | os.PathLike) -> str:
    """A run directory (holding saved_model/) or a SavedModel folder itself -> the SavedModel folder."""
    path = os.path.abspath(os.path.expanduser(str(path)))
    for candidate in (os.path.join(path, "saved_model"), path):
        if os.path.exists(os.path.join(candidate, "saved_model.pb")):
            return candidate
    raise ModelError(f"No SavedModel in {path}: it holds neither saved_model.pb nor saved_model/saved_model.pb. "
                     "Point the flag at a run directory made by train.py or a folder made by "
                     "sample.py --export_dir.")


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise ModelError(f"{path} cannot be read ({e}); export the model again with sample.py --export_dir.") from None


def _load(path):
    import tensorflow as tf
    if not os.path.exists(os.path.join(path, "variables", "variables.index")):
        raise ModelError(f"{path} lacks variables/variables.index: the SavedModel is incomplete. Copy it again, or "
                         "export it again with sample.py --export_dir.")
    try:
        return tf.saved_model.load(path)
    except (tf.errors.OpError, ValueError, IndexError, OSError) as e:
        raise ModelError(f"The SavedModel {path} cannot be loaded ({type(e).__name__}: "
                         f"{str(e).splitlines()[0][:200]}): its files are damaged or cut off. Copy it again, or "
                         "export it again with sample.py --export_dir.") from None


@dataclasses.dataclass
class SketchModel:
    """A Sketch-RNN SavedModel: signatures sample, decode, complete, mixture (and encode if
    conditional). name: how the page's model picker shows it (the run folder's name, without the
    sketch_rnn_ of the shipped ones)."""
    path: str
    module: object
    config: dict
    name: str = "sketch"

    @property
    def conditional(self) -> bool:
        return bool(self.config.get("conditional", True))

    @property
    def z_size(self) -> int:
        return int(self.config["z_size"])

    def canvas_to_strokes(self, polylines: Iterable[ArrayLike]) -> np.ndarray:
        """Absolute canvas polylines (pixels) -> stroke-3 float32 [n, 3] in the model's data units:
        moved to the origin and scaled to a CANVAS_BOX box (enlarged at most CANVAS_MAX_UPSCALE
        times), simplified with RDP (as the QuickDraw sketch-rnn sets were made), then scaled so that
        a drawing filling the box has the training set's spread (config scale_factor), i.e. unit
        spread in the model's normalised units; a smaller one (a dash) keeps its size relative to it."""
        lines = [np.asarray(p, np.float64).reshape(-1, 2) for p in polylines]
        lines = [line for line in lines if len(line)]
        points = np.concatenate(lines)
        origin, span = points.min(0), float(np.max(points.max(0) - points.min(0)))
        scale = min(CANVAS_BOX / span, CANVAS_MAX_UPSCALE) if span > 0 else 1.0
        strokes = stroke_lib.lines_to_strokes([stroke_lib.rdp((line - origin) * scale, CANVAS_RDP_EPSILON)
                                               for line in lines])
        # the spread the drawing would have filling the box: a small drawing stays small
        spread = float(np.std(strokes[:, :2])) * (CANVAS_BOX / span / scale if span > 0 else 1.0)
        if spread > 0:
            strokes[:, :2] *= float(self.config.get("scale_factor", 1.0)) / spread
        return strokes


@dataclasses.dataclass
class HandwritingModel:
    """A handwriting synthesis SavedModel (signature synthesize) and the styles it can prime with."""
    path: str
    module: object
    config: dict
    styles: dict  # name -> data_utils.handwriting_style.Style

    @property
    def alphabet(self) -> str:
        return "".join(self.config.get("chars", []))

    def unknown_characters(self, text: str) -> list[str]:
        """Characters of `text` outside the alphabet (newlines only break lines)."""
        known = set(self.alphabet) | {"\n"}
        return sorted({c for c in text if c not in known})


@dataclasses.dataclass
class TextModel:
    """A char-RNN SavedModel (signatures generate, greedy) and its vocabulary."""
    path: str
    module: object
    config: dict
    chars: list

    def unknown_characters(self, text: str) -> list[str]:
        known = set(self.chars)
        return sorted({c for c in text if c not in known})


def sketch_name(folder: str) -> str:
    """The picker's name of a SavedModel folder: its run directory's name (sketch_rnn_bird -> bird)."""
    run = os.path.dirname(folder) if os.path.basename(folder) == "saved_model" else folder
    name = os.path.basename(run)
    return name[len("sketch_rnn_"):] if name.startswith("sketch_rnn_") else name


def load_sketch(path: str | os.PathLike) -> SketchModel:
    folder = saved_model_dir(path)
    config = _read_json(os.path.join(folder, "assets.extra", "config.json"))
    if "dec_rnn_size" not in config:
        raise ModelError(f"{folder} is not a Sketch-RNN SavedModel (its config has no dec_rnn_size).")
    return SketchModel(folder, _load(folder), config, sketch_name(folder))


def load_styles(folder: str | os.PathLike | None) -> dict[str, Style]:
    """{name: Style} of the style files (*.json) in `folder` (None or missing: none)."""
    if not folder or not os.path.isdir(folder):
        return {}
    return {os.path.splitext(os.path.basename(p))[0]: Style.load(p)
            for p in sorted(glob.glob(os.path.join(folder, "*.json")))}


def load_handwriting(path: str | os.PathLike, styles_dir: str | os.PathLike | None = None) -> HandwritingModel:
    folder = saved_model_dir(path)
    config = _read_json(os.path.join(folder, "assets.extra", "config.json"))
    if config.get("task") != "synthesis":
        raise ModelError(f"{folder} is not a handwriting synthesis SavedModel (task {config.get('task')!r}); the "
                         "page writes given text, which needs --task=synthesis.")
    if styles_dir is None:  # a run's styles/ folder (the shipped model has one)
        styles_dir = os.path.join(os.path.dirname(folder), "styles")
    return HandwritingModel(folder, _load(folder), config, load_styles(styles_dir))


def load_text(path: str | os.PathLike) -> TextModel:
    folder = saved_model_dir(path)
    extra = os.path.join(folder, "assets.extra")
    config = _read_json(os.path.join(extra, "model_config.json"))
    chars = _read_json(os.path.join(extra, "vocab.json"))["chars"]
    return TextModel(folder, _load(folder), config, chars)
