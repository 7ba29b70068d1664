"""The handwriting model's own command-line options (train.py / sample.py --model=handwriting);
the flags every model reads are in run_utils/cli.py (training: --data_dir is IAM-OnDB as a raw
tree, archives or iamondb_lines.npz; sampling: --temperature is an extra on top of --bias, default
1 = none). Each field becomes a flag (run_utils.cli.define_options)."""
import dataclasses

from run_utils.cli import option


@dataclasses.dataclass(frozen=True)
class TrainOptions:
    task: str | None = option("handwriting: prediction (Graves section 4, unconditional) or synthesis (section 5, "
                              "text-conditioned); default synthesis, or the resumed run's task.",
                              choices=("prediction", "synthesis"), default=None)


@dataclasses.dataclass(frozen=True)
class SampleOptions:
    text: str | None = option("handwriting: the text to write (synthesis runs); long text is wrapped into lines of "
                              "--line_chars, a newline starts a new line.", default=None)
    bias: float | None = option("handwriting: probability bias b of Graves section 5.4 (0 = unbiased; larger = "
                                "neater). Default 0.75 for synthesis, 0 for prediction.", default=None)
    style: str | None = option("handwriting: a style file (JSON of strokes + their text, made with python -m "
                               "data_utils.handwriting_style) to prime the synthesis with (section 5.5); several, "
                               "comma separated, write the text once in each style, one below the other.",
                               default=None)
    steps: int | None = option("handwriting, char_rnn: how long a sample is: char_rnn, characters after the prime "
                               "(default 1000); handwriting prediction, points (default 700); handwriting synthesis, "
                               "the step cap (default 40 points per character; sampling stops by the window rule).",
                               default=None)
    stroke_width: float = option("handwriting: pen width in the SVG (pixels, > 0).", default=2.0)
    stroke_color: str = option("handwriting: pen colour in the SVG (a colour name or #rgb / #rrggbb).",
                               default="black")
    plots: bool = option("handwriting: also write OUTPUT_density.svg (mixture density and end-of-stroke "
                         "probability, Graves Fig. 10) and, for synthesis, OUTPUT_window.svg (window weights phi, "
                         "Fig. 13).", default=False)
    line_chars: int = option("handwriting: wrap the text into lines of at most this many characters.", default=50)
