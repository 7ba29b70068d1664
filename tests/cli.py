"""The CLIs run in the test process, parsed exactly as on the command line (faster than a new
Python + TensorFlow process per call; one subprocess smoke test per CLI covers the rest)."""


def train_in_process(*argv: str) -> None:
    """python train.py ARGV, in this process: flags reset to their defaults, parsed, dispatched."""
    from absl import flags

    import train as cli
    flags.FLAGS.unparse_flags()
    flags.FLAGS(["train.py", *argv])
    cli.TRAINERS[flags.FLAGS.model](flags.FLAGS)
