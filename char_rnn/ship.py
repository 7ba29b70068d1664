"""What shipping the char-RNN needs (pretrained/ship.py calls these through the registry): the
export, the check (the loss of the first validation characters, recomputed by
tests/test_pretrained.py), the validation figures, and the check text."""
import json
import os

from fileio.files import save_text
from run_utils.rundir import EVAL_FILE, VOCAB_FILE, remembered_data_dir

EXTRA_FILES = (VOCAB_FILE,)
CHECK_TEXT = "check_text.txt"            # the first characters of the validation split


def export(run_dir, export_dir):
    from char_rnn.export import export_saved_model
    from char_rnn.sample import load_trained_with_vocabulary
    _, vocabulary, model = load_trained_with_vocabulary(run_dir)
    return export_saved_model(model, vocabulary, export_dir)


def check_value(run_dir):
    from char_rnn.model import text_nll
    from char_rnn.sample import load_trained_with_vocabulary
    _, vocabulary, model = load_trained_with_vocabulary(run_dir)
    with open(os.path.join(run_dir, CHECK_TEXT), encoding="utf-8") as f:
        ids = vocabulary.encode(f.read())
    return text_nll(model, ids, num_streams=4, chunk_length=100)[0]


def evaluation(run_dir, config):
    """The run's own eval.json (training writes it)."""
    with open(os.path.join(run_dir, EVAL_FILE)) as f:
        return json.load(f)


def copy_data(run_dir, dest, config, whole=True, styles=()):
    from data_utils import text_corpus
    text = text_corpus.load_corpus(remembered_data_dir(run_dir))
    save_text(text_corpus.split_text(text, config["valid_fraction"])[1][:2000], os.path.join(dest, CHECK_TEXT))


def copy_converted(run_dir, dest, config):
    raise ValueError(f"{run_dir} is a converted run; only Sketch-RNN models of the original are converted.")


def finish(dest, config, converted):
    return None
