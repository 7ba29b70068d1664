"""What the three SavedModel exports share: a tf.Module base that tracks a Keras model's weights
only, and the atomic writer of the export folder with its JSON files under assets.extra/.

Only the weights are tracked (the list `model_weights`, in model.weights order): tracking the
Keras model itself would also save its optimizer's slots (three times the size for Adam) and
make SavedModel trace its call() with guessed input signatures. run_utils.training reads the
weights back from this list (restore_exported_weights), which is how the shipped models in
pretrained/, which hold only an export, load into a Keras model for sampling.
"""
import os

import tensorflow as tf

from fileio.files import atomic_dir, save_json


class _Untracked:
    """Holds an object out of SavedModel's object graph."""

    def __init__(self, value):
        self.value = value


def exported_weights(model) -> list:
    """The weights a SavedModel holds, in model.weights order: all of them except those the model
    names as `training_only_weights` (state that only training reads, such as Sketch-RNN's
    magenta_js_grid remainders)."""
    skip = {id(w) for w in getattr(model, "training_only_weights", ())}
    return [w for w in model.weights if id(w) not in skip]


class ExportModule(tf.Module):
    """Base of the export modules: self.model is the Keras model (not tracked), self.model_weights
    its exported weights (tracked and saved)."""

    def __init__(self, model):
        super().__init__()
        self._holder = _Untracked(model)
        self.model_weights = exported_weights(model)

    @property
    def model(self):
        return self._holder.value


def write_saved_model(module: tf.Module, signatures: dict, export_dir: str, extra_files: dict) -> str:
    """tf.saved_model.save(module) into export_dir, atomically, with each {name: JSON value} of
    extra_files written to assets.extra/<name>; returns export_dir."""
    try:
        with atomic_dir(export_dir) as tmp:
            tf.saved_model.save(module, tmp, signatures=signatures)
            for name, value in extra_files.items():
                save_json(value, os.path.join(tmp, "assets.extra", name))
    except (OSError, tf.errors.ResourceExhaustedError, tf.errors.UnknownError) as e:
        reason = "the disk is full" if "space" in str(e).lower() or isinstance(e, tf.errors.ResourceExhaustedError) \
            else str(e).splitlines()[0][:200]
        raise RuntimeError(f"Could not write the SavedModel {export_dir} ({reason}); nothing was written there. "
                           "Free space or choose another folder, then export again (sample.py --export_dir).") from None
    return export_dir
