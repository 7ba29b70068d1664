"""Sketch-RNN's own command-line options (train.py / sample.py --model=sketch_rnn); the flags
every model reads are in run_utils/cli.py. Each field becomes a flag (run_utils.cli.define_options)."""
import dataclasses

from run_utils.cli import option


@dataclasses.dataclass(frozen=True)
class TrainOptions:
    category: list[str] = option("sketch_rnn: QuickDraw category names or data set names (e.g. bird,cat or "
                                 "aaron_sheep); NAME.npz is read from --data_dir or downloaded there.",
                                 default_factory=list)


@dataclasses.dataclass(frozen=True)
class SampleOptions:
    category: str | None = option("sketch_rnn: sample the model of this data set (e.g. bird): the run "
                                  "runs/sketch_rnn/CATEGORY, else the shipped pretrained/sketch_rnn_CATEGORY "
                                  "(instead of --run_dir).", default=None)
    temperature_rule: str = option("sketch_rnn: how --temperature tau scales the offset mixture's standard "
                                   "deviations: code = by tau (the original code's sample(), default), paper = by "
                                   "sqrt(tau) (eq. 8). Mixture weights and pen logits are divided by tau under both.",
                                   choices=("code", "paper"), default="code")
    greedy: bool = option("sketch_rnn, char_rnn: take the most likely value at every step.", default=False)
    color_strokes: bool = option("sketch_rnn: draw every stroke of a drawing in its own colour.", default=False)
    reconstruct: bool = option("sketch_rnn: encode test drawings and decode them, shown side by side.",
                               default=False)
    interpolate: bool = option("sketch_rnn: spherically interpolate in z between two test drawings.", default=False)
    complete: bool = option("sketch_rnn: feed the start of a test drawing and sample several endings.",
                            default=False)
    indices: list[str] = option("sketch_rnn: test-set drawing indices for --reconstruct/--interpolate/--complete.",
                                default_factory=list)
    interpolation_steps: int = option("sketch_rnn: drawings in the --interpolate row.", default=10)
    complete_fraction: float = option("sketch_rnn: fraction of the drawing's points fed before --complete "
                                      "samples.", default=0.5)
