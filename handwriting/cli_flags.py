"""handwriting's command-line flags (defined here, parsed by the top-level train.py/sample.py).

Training also uses the common --data_dir (IAM-OnDB: raw tree, archives or iamondb_lines.npz),
--log_root, --hparams, --num_steps, --save_every, --resume and --seed. Sampling also uses the
common --run_dir, --num_samples, --seed, --output, --export_dir and --temperature (an extra on
top of --bias; default 1 = none).
"""
from absl import flags


def define_train_flags():
    flags.DEFINE_enum("task", None, ["prediction", "synthesis"],
                      "handwriting: prediction (Graves section 4, unconditional) or synthesis (section 5, "
                      "text-conditioned); default synthesis, or the resumed run's task.")


def define_sample_flags():
    flags.DEFINE_string("text", None, "handwriting: the text to write (synthesis runs); long text is wrapped "
                        "into lines of --line_chars, a newline starts a new line.")
    flags.DEFINE_float("bias", None, "handwriting: probability bias b of Graves section 5.4 (0 = unbiased; "
                       "larger = neater). Default 0.75 for synthesis, 0 for prediction.")
    flags.DEFINE_string("style", None, "handwriting: a style file (JSON of strokes + their text, made with "
                        "python -m data_utils.handwriting_style) to prime the synthesis with (section 5.5); several, "
                        "comma separated, write the text once in each style, one below the other.")
    flags.DEFINE_float("stroke_width", 2.0, "handwriting: pen width in the SVG (pixels).")
    flags.DEFINE_string("stroke_color", "black", "handwriting: pen colour in the SVG (any SVG colour).")
    flags.DEFINE_bool("plots", False, "handwriting: also write OUTPUT_density.svg (mixture density and "
                      "end-of-stroke probability, Graves Fig. 10) and, for synthesis, OUTPUT_window.svg "
                      "(window weights phi, Fig. 13).")
    flags.DEFINE_integer("line_chars", 50, "handwriting: wrap the text into lines of at most this many characters.")
