"""Char-RNN: text corpus reading/splitting/windows, vocabulary, loss vs numpy, sampling."""
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from char_rnn import train as char_train
from char_rnn.config import CharRNNConfig
from char_rnn.model import build_model, choose_next, text_nll
from char_rnn.sample import Sampler
from data_utils import text_corpus
from data_utils.text import UnknownCharacterError, Vocabulary
from tests.cli import train_run

TEXT = "the quick brown fox jumps over the lazy dog\n"


def tiny_config(**kw):
    base = dict(vocab_size=len(set(TEXT)), embedding_size=8, rnn_size=16, num_layers=2, output_keep_prob=1.0,
                seq_length=10, batch_size=4)
    base.update(kw)
    return CharRNNConfig(**base)


def log_softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


# ----- data ---------------------------------------------------------------------------------------
def test_vocabulary_round_trip_and_save(tmp_path):
    train, valid = text_corpus.split_text(TEXT + "ÉZ€", 0.07)
    vocab = Vocabulary.from_text(train)
    assert vocab.chars == sorted(set(train))
    ids = vocab.encode(train)
    assert ids.dtype == np.int32 and vocab.decode(ids) == train
    vocab.save(tmp_path / "v.json")
    assert Vocabulary.load(tmp_path / "v.json") == vocab
    # valid-only characters are dropped from the validation ids, and counted
    valid_ids, dropped = text_corpus.encode_known(vocab, valid)
    assert vocab.decode(valid_ids) == "".join(c for c in valid if c in vocab.index)
    assert dropped == sum(c not in vocab.index for c in valid) > 0


def test_split_is_first_and_last_fraction():
    text = "".join(chr(ord("a") + i % 26) for i in range(1000))
    train, valid = text_corpus.split_text(text, 0.1)
    assert train == text[:900] and valid == text[900:]
    assert text_corpus.split_text(text, 0.1) == (train, valid)
    with pytest.raises(ValueError, match="valid_fraction"):
        text_corpus.split_text(text, 1.0)


def test_folder_corpus_sorted_and_cleaned(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"second\r\nline")
    (tmp_path / "a.txt").write_bytes("\ufefffirst".encode("utf-8"))
    (tmp_path / ".hidden").write_bytes(b"\x00\x01")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("third\n", encoding="utf-8")
    assert text_corpus.load_corpus(str(tmp_path)) == "first\nsecond\nline\nthird\n"
    assert text_corpus.corpus_name(str(tmp_path / "a.txt")) == "a"
    assert text_corpus.corpus_name(str(tmp_path) + "/") == tmp_path.name


def test_bad_text_files_are_named(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(text_corpus.CorpusError, match=r"empty\.txt is empty"):
        text_corpus.load_corpus(str(empty))
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(text_corpus.CorpusError, match=r"image\.png looks like a binary file.*byte offset 8"):
        text_corpus.load_corpus(str(binary))
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("caf\xe9 au lait".encode("latin-1"))
    with pytest.raises(text_corpus.CorpusError, match=r"latin1\.txt is not UTF-8 text: byte 0xe9 at byte offset 3"):
        text_corpus.load_corpus(str(latin1))
    with pytest.raises(text_corpus.CorpusError, match="does not exist"):
        text_corpus.load_corpus(str(tmp_path / "missing"))
    (tmp_path / "nothing").mkdir()
    with pytest.raises(text_corpus.CorpusError, match="holds no files"):
        text_corpus.load_corpus(str(tmp_path / "nothing"))
    # through the training entry point too: a folder with one bad file names that file
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "good.txt").write_text(TEXT)
    (tmp_path / "corpus" / "zz.bin").write_bytes(b"ab\x00cd")
    run = train_run("char_rnn", data_dir=str(tmp_path / "corpus"), log_root=str(tmp_path / "run"))
    with pytest.raises(text_corpus.CorpusError, match=r"zz\.bin looks like a binary file.*byte offset 2"):
        char_train.prepare(run)


def test_windows_are_shifted_slices():
    ids = np.arange(50, dtype=np.int32)
    x, y = next(iter(text_corpus.train_dataset(ids, seq_length=7, batch_size=5, seed=3)))
    assert x.shape == (5, 7) and y.shape == (5, 7) and x.dtype == tf.int32
    x, y = x.numpy(), y.numpy()
    np.testing.assert_array_equal(y, x + 1)                          # target = next character
    np.testing.assert_array_equal(np.diff(x, axis=1), 1)             # contiguous text
    assert x.min() >= 0 and y.max() <= 49
    batches = list(text_corpus.eval_dataset(ids, seq_length=7, batch_size=3))
    xs = np.concatenate([b[0].numpy() for b in batches])
    ys = np.concatenate([b[1].numpy() for b in batches])
    np.testing.assert_array_equal(xs.ravel(), np.arange(49))         # every window once, in order
    np.testing.assert_array_equal(ys, xs + 1)
    assert [len(b[0]) for b in batches] == [3, 3, 1]
    assert text_corpus.eval_dataset(ids[:7], 7, 3) is None
    with pytest.raises(text_corpus.CorpusError, match="smaller seq_length"):
        text_corpus.train_dataset(ids[:7], 7, 2)


# ----- model -------------------------------------------------------------------------------------
def test_loss_and_bits_per_char_match_numpy():
    config = tiny_config(vocab_size=11)
    model = build_model(config)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 11, size=71).astype(np.int32)
    ds = text_corpus.eval_dataset(ids, seq_length=10, batch_size=4)   # batches of 4 and 3 windows
    result = model.evaluate(ds, verbose=0, return_dict=True)
    xs = ids[:70].reshape(7, 10)
    ys = ids[1:71].reshape(7, 10)
    logp = log_softmax(model(tf.constant(xs)).numpy().astype(np.float64))
    nll = -np.take_along_axis(logp, ys[..., None], axis=-1).mean()   # mean over all 70 characters
    assert result["loss"] == pytest.approx(nll, rel=1e-5)
    assert result["bpc"] == pytest.approx(nll / math.log(2), rel=1e-5)
    assert nll == pytest.approx(math.log(11), abs=0.05)              # untrained: near uniform


def test_validation_carries_state_across_windows():
    """text_nll with carry_state equals one uninterrupted pass over each stream (numpy NLL of a
    teacher-forced call on the whole stream); without it, every window starts from zero state."""
    keras.utils.set_random_seed(3)
    model = build_model(tiny_config(vocab_size=9))
    ids = np.random.default_rng(2).integers(0, 9, size=3 * 23 + 2).astype(np.int32)  # 3 streams of 23 + 2 left over
    streams = ids[:3 * 23 + 1]
    inputs = np.stack([streams[s * 23:s * 23 + 23] for s in range(3)])
    targets = np.stack([streams[s * 23 + 1:s * 23 + 24] for s in range(3)])

    def numpy_nll(x, y):
        logp = log_softmax(model(tf.constant(x)).numpy().astype(np.float64))
        return -np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]

    carried, count = text_nll(model, ids, num_streams=3, chunk_length=5)
    assert count == 69
    assert carried == pytest.approx(numpy_nll(inputs, targets).mean(), rel=1e-5)
    windows, _ = text_nll(model, ids, num_streams=3, chunk_length=5, carry_state=False)
    reset = np.concatenate([numpy_nll(inputs[:, b:b + 5], targets[:, b:b + 5]) for b in range(0, 23, 5)], axis=1)
    assert windows == pytest.approx(reset.mean(), rel=1e-5)
    assert abs(windows - carried) > 1e-6   # the two figures differ: the state matters


def test_choose_next_top_k_temperature_and_greedy():
    logits = tf.constant([[0.0, 3.0, 2.9, -1.0, 1.0]] * 2000)
    seeds = tf.constant([4, 2])
    np.testing.assert_array_equal(choose_next(logits, 1.0, 0, True, seeds).numpy(), 1)
    np.testing.assert_array_equal(choose_next(logits, 1.0, 1, False, seeds).numpy(), 1)
    top2 = choose_next(logits, 1.0, 2, False, seeds).numpy()
    assert set(top2) == {1, 2}
    # top-2 renormalised probabilities: exp(3) / (exp(3) + exp(2.9)) = 0.525
    assert np.mean(top2 == 1) == pytest.approx(1 / (1 + math.exp(-0.1)), abs=0.04)
    full = choose_next(logits, 1.0, 0, False, seeds).numpy()
    p = np.exp(log_softmax(logits[0].numpy().astype(np.float64)))
    np.testing.assert_allclose(np.bincount(full, minlength=5) / 2000, p, atol=0.04)
    hot = choose_next(logits, 100.0, 0, False, seeds).numpy()
    assert len(set(hot)) == 5
    cold = choose_next(logits, 0.01, 0, False, seeds).numpy()
    assert np.mean(cold == 1) > 0.99


def test_generation_carries_state_like_teacher_forcing():
    """Greedy ids from the stateful loop equal the argmax of a teacher-forced pass over
    prime + generated text from a zero state: the state is carried exactly across steps."""
    model = build_model(tiny_config(vocab_size=13))
    prime = tf.constant(np.random.default_rng(1).integers(0, 13, size=(3, 4)), tf.int32)
    generated = tf.function(model.generate)(prime, tf.constant(12), greedy=True).numpy()
    assert generated.shape == (3, 12) and generated.dtype == np.int32
    full = np.concatenate([prime.numpy(), generated[:, :-1]], axis=1)
    forced = model(tf.constant(full)).numpy().argmax(-1)[:, 3:]
    np.testing.assert_array_equal(forced, generated)


def test_tiny_model_memorises_text_and_greedy_reproduces_it():
    text = TEXT * 4
    vocab = Vocabulary.from_text(text)
    ids = vocab.encode(text)
    config = tiny_config(vocab_size=len(vocab), embedding_size=16, rnn_size=48, num_layers=1,
                         seq_length=24, batch_size=16, learning_rate=0.02)
    keras.utils.set_random_seed(0)
    model = build_model(config)
    history = model.fit(text_corpus.train_dataset(ids, config.seq_length, config.batch_size, seed=0),
                        steps_per_epoch=300, epochs=1, verbose=0)
    assert history.history["loss"][-1] < 0.3
    sampler = Sampler(model, vocab)
    (out,) = sampler.sample("the q", steps=len(TEXT) + 20, greedy=True)
    assert out == text[:len(TEXT) + 25]
    # greedy ignores the seed and temperature; a sample of several draws starts with the prime
    assert sampler.sample("the q", 30, greedy=True, seed=7, temperature=0.3) == [out[:35]]
    samples = sampler.sample("fox", 15, num_samples=3, temperature=0.5, top_k=3, seed=1)
    assert len(samples) == 3 and all(s.startswith("fox") and len(s) == 18 for s in samples)
    assert samples == sampler.sample("fox", 15, num_samples=3, temperature=0.5, top_k=3, seed=1)


def test_unknown_or_empty_prime_is_a_clear_error():
    vocab = Vocabulary.from_text(TEXT)
    sampler = Sampler(build_model(tiny_config(vocab_size=len(vocab))), vocab)
    with pytest.raises(UnknownCharacterError, match=r"'R', '€'"):
        sampler.sample("ROMEO€", 5)
    with pytest.raises(ValueError, match="prime is empty"):
        sampler.sample("", 5)
    with pytest.raises(ValueError, match="--greedy"):
        sampler.sample("the", 5, temperature=0.0)


def test_saved_model_with_zero_steps_returns_the_prime(tmp_path):
    """steps=0 lies in generate/greedy's declared range [0, 100000]: the continuation is empty and
    the text is the prime itself (it failed with "Tried to stack elements of an empty list")."""
    from char_rnn.export import export_saved_model

    vocab = Vocabulary.from_text(TEXT)
    path = export_saved_model(build_model(tiny_config(vocab_size=len(vocab)), compile=False), vocab,
                              str(tmp_path / "saved_model"))
    m = tf.saved_model.load(path)
    primes = tf.constant(["the", "quick fox"])
    out = m.generate(prime=primes, steps=tf.constant(0), temperature=tf.constant(1.0), top_k=tf.constant(0),
                     seed=tf.constant(1))["text"].numpy().tolist()
    assert out == [b"the", b"quick fox"]
    assert m.signatures["greedy"](prime=tf.constant("lazy"), steps=tf.constant(0))["text"].numpy() == b"lazy"
    assert len(m.greedy(prime=tf.constant("lazy"), steps=tf.constant(3))["text"].numpy()) == 4 + 3
