"""The shipped synthesis model's attention window, read step by step (not the picture).

A primed line is written over the character sequence `style text + " " + text`: its first
generated points must be spent on the text's first character (not on the style's last letters,
not past the text's first letters), and every character of the text must get the window's
largest weight in turn before sampling stops. Checked for no priming, every shipped style, and
drawn styles made as the web page makes them (canvas polylines through style_from_polylines):
lines and words of the shipped IAM styles re-drawn at canvas sizes, print and joined, short and
long, and synthetic joined loops.
"""
import glob
import os

import numpy as np
import pytest

from data_utils.handwriting_style import Style, style_from_polylines
from run_utils.rundir import PRETRAINED_ROOT

pytestmark = pytest.mark.slow  # the slow lane (make test-all, CI): see pyproject.toml

MODEL = os.path.join(PRETRAINED_ROOT, "handwriting_synthesis")
STYLE_FILES = sorted(glob.glob(os.path.join(MODEL, "styles", "*.json")))
TEXTS = ["Good morning to you all", "A new sentence in my own hand"]
SEED = (1, 0)
BIAS = 1.0


@pytest.fixture(scope="module")
def sampler():
    if not os.path.exists(os.path.join(MODEL, "saved_model", "saved_model.pb")):
        pytest.skip(f"{MODEL} is not shipped")
    from handwriting.config import HandwritingConfig
    from handwriting.model import build_model
    from handwriting.sample import Sampler
    from run_utils.training import load_trained
    config, model = load_trained(MODEL, HandwritingConfig, build_model)
    return Sampler(model, config)


def canvas_polylines(style):
    """A style's strokes as absolute canvas polylines (y down), one per stroke."""
    xy = np.cumsum(style.strokes[:, :2].astype(np.float64), axis=0) * [1.0, -1.0]
    ends = np.flatnonzero(style.strokes[:, 2])
    return [xy[a:b + 1] for a, b in zip(np.concatenate([[0], ends[:-1] + 1]), ends)]


def words(style):
    """The strokes of each word of a style: strokes in order of their left edge, cut at the
    len(words) - 1 widest horizontal gaps."""
    polys = canvas_polylines(style)
    order = np.argsort([p[:, 0].min() for p in polys], kind="stable")
    right, gaps = -np.inf, []
    for k, i in enumerate(order):
        if k:
            gaps.append((polys[i][:, 0].min() - right, k))
        right = max(right, polys[i][:, 0].max())
    cuts = sorted(k for _, k in sorted(gaps, reverse=True)[:len(style.text.split()) - 1])
    return [[polys[i] for i in sorted(group)] for group in np.split(order, cuts)]


def on_canvas(polys, height_px, origin=(12.0, 10.0)):
    """Polylines re-drawn `height_px` tall on a canvas, y down, at the half-pixel steps a pad on a
    2x screen records."""
    points = np.concatenate(polys)
    low, scale = points.min(0), height_px / np.ptp(points[:, 1])
    return [np.round(((p - low) * scale + origin) * 2.0) / 2.0 for p in polys]


def loops(text, x_height_px):
    """A joined line of loops, one per letter (tall for ascenders), drawn in one stroke (y down)."""
    advance, points, x = 0.9 * x_height_px, [], 10.0
    for ch in text:
        h = x_height_px * (2.6 if ch in "bdfhklt" else 1.0)
        t = np.linspace(0.0, 1.0, 40, endpoint=False)
        points.append(np.stack([x + advance * (t - 0.35 * np.sin(2 * np.pi * t)),
                                100.0 - h * (1 - np.cos(2 * np.pi * t)) / 2], axis=1))
        x += advance
    return [np.round(np.concatenate(points + [[[x, 100.0]]]) * 2.0) / 2.0]


def drawn_styles():
    """name -> (canvas polylines, text): the custom styles of the page, made from shipped lines."""
    shipped = {os.path.basename(p)[:-5]: Style.load(p) for p in STYLE_FILES}
    a, b, c = shipped["a01-003-01"], shipped["b06-508z-08"], shipped["b07-548z-01"]
    return {
        "print line, 50 px": (on_canvas(canvas_polylines(a), 50), a.text),
        "joined line, 25 px": (on_canvas(canvas_polylines(c), 25), c.text),
        "print word 'Though', 90 px": (on_canvas(words(a)[0], 90), "Though"),
        "print word 'some', 40 px": (on_canvas(words(a)[4], 40), "some"),
        "half-joined word 'overturn', 60 px": (on_canvas(words(b)[0], 60), "overturn"),
        "joined word 'next', 30 px": (on_canvas(words(b)[2], 30), "next"),
        "joined word 'only', 100 px": (on_canvas(words(c)[1], 100), "only"),
        "joined word 'proposals', 40 px": (on_canvas(words(c)[2], 40), "proposals"),
        "loops 'lee', 25 px": (loops("lee", 25), "lee"),
        "loops 'leel', 8 px": (loops("leel", 8), "leel"),
        "loops 'eel', 60 px": (loops("eel", 60), "eel"),
    }


def window_problems(row, text):
    """What is wrong with one written line's window trace (row["window"]: per step, the index
    into `text` of the character with the largest phi; -1 the space after a style's text)."""
    window = row["window"]
    problems = []
    first = window[window >= 0][:1]
    if window[0] not in (-1, 0) or not (len(first) and first[0] == 0):
        problems.append(f"starts at {window[:8].tolist()} instead of the first character")
    first_visit = [np.flatnonzero(window == i)[:1] for i in range(len(text))]
    missing = [text[i] + f"@{i}" for i, v in enumerate(first_visit) if not len(v)]
    if missing:
        problems.append(f"never weighs {missing} most")
    elif not np.all(np.diff([v[0] for v in first_visit]) > 0):
        problems.append("visits the characters out of order")
    return problems


def check(sampler, style, label):
    rows = sampler.synthesize(TEXTS, BIAS, SEED, style)
    failures = [f"{label} / {text!r}: {p}" for row, text in zip(rows, TEXTS) for p in window_problems(row, text)]
    assert not failures, "\n".join(failures)


def test_no_priming_starts_at_the_first_character(sampler):
    check(sampler, None, "no style")


@pytest.mark.parametrize("path", STYLE_FILES, ids=lambda p: os.path.basename(p)[:-5])
def test_every_shipped_style_hands_over_to_the_first_character(sampler, path):
    check(sampler, Style.load(path), os.path.basename(path))


@pytest.mark.parametrize("name", list(drawn_styles()))
def test_drawn_styles_hand_over_to_the_first_character(sampler, name):
    polys, text = drawn_styles()[name]
    check(sampler, style_from_polylines(polys, text), name)


def test_the_shipped_saved_model_hands_over_as_the_page_calls_it(sampler):
    """The page calls the SavedModel's synthesize with style_from_polylines' style: its
    window_char output (one character index per step) shows the same hand-over."""
    import tensorflow as tf
    write = tf.saved_model.load(os.path.join(MODEL, "saved_model")).signatures["synthesize"]
    polys, text = drawn_styles()["half-joined word 'overturn', 60 px"]
    shipped = Style.load(os.path.join(MODEL, "styles", "d04-117-01.json"))
    for style in (None, shipped, style_from_polylines(polys, text)):
        out = write(text=tf.constant(TEXTS), bias=tf.constant(BIAS), seed=tf.constant(SEED, tf.int32),
                    style_strokes=tf.constant(style.strokes if style else np.zeros((0, 3), np.float32)),
                    style_text=tf.constant(style.text if style else ""))
        for b, text in enumerate(TEXTS):
            row = {"window": out["window_char"][b, :int(out["lengths"][b])].numpy()}
            assert not window_problems(row, text), (style and style.text, text, window_problems(row, text))
