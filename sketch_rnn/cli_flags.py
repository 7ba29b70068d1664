"""Sketch-RNN's command-line flags (defined here, parsed by the top-level train.py/sample.py)."""
from absl import flags


def define_train_flags():
    flags.DEFINE_list("category", [], "QuickDraw category names or data set names (e.g. bird,cat or "
                      "aaron_sheep); NAME.npz is read from --data_dir or downloaded there.")


def define_sample_flags():
    flags.DEFINE_string("category", None, "sketch_rnn: sample the model of this data set (e.g. bird): the run "
                        "runs/sketch_rnn/CATEGORY, else the shipped pretrained/sketch_rnn_CATEGORY (instead of "
                        "--run_dir).")
    flags.DEFINE_enum("temperature_rule", "code", ["code", "paper"],
                      "sketch_rnn: how --temperature tau scales the offset mixture's standard deviations: "
                      "code = by tau (the original code's sample(), default), paper = by sqrt(tau) (eq. 8). "
                      "Mixture weights and pen logits are divided by tau under both.")
    flags.DEFINE_bool("color_strokes", False, "Draw every stroke of a drawing in its own colour.")
    flags.DEFINE_bool("reconstruct", False, "Encode test drawings and decode them, shown side by side.")
    flags.DEFINE_bool("interpolate", False, "Spherically interpolate in z between two test drawings.")
    flags.DEFINE_bool("complete", False, "Feed the start of a test drawing and sample several endings.")
    flags.DEFINE_list("indices", [], "Test-set drawing indices for --reconstruct/--interpolate/--complete.")
    flags.DEFINE_integer("interpolation_steps", 10, "Drawings in the --interpolate row.")
    flags.DEFINE_float("complete_fraction", 0.5, "Fraction of the drawing's points fed before --complete samples.")
