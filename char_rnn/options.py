"""The char-RNN's own command-line options (train.py / sample.py --model=char_rnn); training needs
none beyond the flags every model reads (run_utils/cli.py). Each field becomes a flag
(run_utils.cli.define_options)."""
import dataclasses

from run_utils.cli import option


@dataclasses.dataclass(frozen=True)
class TrainOptions:
    pass


@dataclasses.dataclass(frozen=True)
class SampleOptions:
    prime: str | None = option("char_rnn: text fed to the model before sampling; the output starts with it "
                               "(default: a newline, or the vocabulary's first character if it has none).",
                               default=None)
    top_k: int = option("char_rnn: sample only among the k most likely characters (0: all).", default=0)
    greedy: bool = option("sketch_rnn, char_rnn: take the most likely value at every step.", default=False)
    steps: int | None = option("handwriting, char_rnn: how long a sample is: char_rnn, characters after the prime "
                               "(default 1000); handwriting prediction, points (default 700); handwriting synthesis, "
                               "the step cap (default 40 points per character; sampling stops by the window rule).",
                               default=None)
