"""data_utils.handwriting_style: style files from IAM lines, SVG drawings and JSON strokes; CLI."""
import json
import re
import time

import numpy as np
import pytest

from data_utils import handwriting_style as hs
from data_utils import iam


def _bezier_ref(ctrl, t):
    """Bernstein form of a Bezier curve (independent of the de Casteljau code under test)."""
    ctrl = np.asarray(ctrl, float)
    n = len(ctrl) - 1
    coef = [1, 2, 1] if n == 2 else [1, 3, 3, 1]
    return sum(c * (1 - t) ** (n - k) * t ** k * p for k, (c, p) in enumerate(zip(coef, ctrl)))


def _corpus():
    strokes = [np.array([[0, 0, 0], [3.5, -2.25, 1], [10, 4, 1]], np.float32),
               np.array([[0, 0, 0], [1, 1, 1]], np.float32)]
    return iam.Corpus(["a01-000u-01", "z01-000z-01"], ["Hi there", ""], np.array([True, False]), strokes,
                      np.array(["train", ""]))


def test_style_json_round_trip(tmp_path):
    style = hs.Style(strokes=np.array([[0, 0, 0], [1.1, -2.7e-3, 0], [123456.7, 5, 1]]), text="Hi there")
    style.save(tmp_path / "s.json")
    with open(tmp_path / "s.json") as f:
        assert json.load(f) == {"text": "Hi there", "strokes": [[0.0, 0.0, 0], [1.10000002, -0.00270000007, 0],
                                                                 [123456.703, 5.0, 1]]}
    back = hs.Style.load(tmp_path / "s.json")
    assert back.text == "Hi there" and back.strokes.dtype == np.float32 and back.num_strokes == 1
    np.testing.assert_array_equal(back.strokes, style.strokes)


def test_style_errors(tmp_path):
    with pytest.raises(ValueError, match="needs the text"):
        hs.Style(strokes=np.zeros((2, 3)) + [0, 0, 1], text=" ")
    with pytest.raises(ValueError, match=r"shape \[n, 3\].*got shape \[4, 2\]"):
        hs.Style(strokes=np.zeros((4, 2)), text="a")
    with pytest.raises(ValueError, match="1 on the last row"):
        hs.Style(strokes=np.zeros((4, 3)), text="a")
    with pytest.raises(FileNotFoundError, match="No style file at"):
        hs.Style.load(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{text: oops")
    with pytest.raises(ValueError, match="not a style file: it is not valid JSON"):
        hs.Style.load(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[[[0, 0], [1, 1]]]")
    with pytest.raises(ValueError, match="expected a JSON object with keys 'text' and 'strokes'"):
        hs.Style.load(tmp_path / "list.json")


def test_style_from_iam():
    c = _corpus()
    style = hs.style_from_iam(c, "a01-000u-01")
    assert style.text == "Hi there"
    np.testing.assert_array_equal(style.strokes, c.strokes[0])
    with pytest.raises(ValueError, match="no usable transcription"):
        hs.style_from_iam(c, "z01-000z-01")
    with pytest.raises(KeyError, match="No line 'a01-000u-09'.*Lines of that form: a01-000u-01"):
        hs.style_from_iam(c, "a01-000u-09")


def test_parse_path_data_commands():
    (a, b) = hs.parse_path_data("M 10 20 L 30 20 h 5 v -10 Z m 5 5 l 1,1")
    np.testing.assert_array_equal(a, [[10, 20], [30, 20], [35, 20], [35, 10], [10, 20]])
    np.testing.assert_array_equal(b, [[15, 25], [16, 26]])
    (c,) = hs.parse_path_data("M0 0 10 0 10 10 H 2 V 3")  # implicit line-to after M
    np.testing.assert_array_equal(c, [[0, 0], [10, 0], [10, 10], [2, 10], [2, 3]])
    (d,) = hs.parse_path_data("M0 0 C 0 10 10 10 10 0 S 20 -10 20 0")
    assert len(d) == 1 + 2 * 8
    np.testing.assert_allclose(d[4], _bezier_ref([[0, 0], [0, 10], [10, 10], [10, 0]], 0.5))
    # S reflects the previous second control point (10, 10) about (10, 0): first control (10, -10).
    np.testing.assert_allclose(d[12], _bezier_ref([[10, 0], [10, -10], [20, -10], [20, 0]], 0.5))
    (e,) = hs.parse_path_data("m 1 1 q 4 10 8 0 t 8 0")
    np.testing.assert_allclose(e[4], _bezier_ref([[1, 1], [5, 11], [9, 1]], 0.5))
    np.testing.assert_allclose(e[12], _bezier_ref([[9, 1], [13, -9], [17, 1]], 0.5))
    (f,) = hs.parse_path_data("M 0 0 A 5 5 0 0 1 10 0")  # arc -> its end point
    np.testing.assert_array_equal(f, [[0, 0], [10, 0]])
    with pytest.raises(ValueError, match="must start with 'M'"):
        hs.parse_path_data("L 10 10")
    with pytest.raises(ValueError, match="'L' needs 2 numbers"):
        hs.parse_path_data("M 0 0 L 5")
    with pytest.raises(ValueError, match="unexpected 'X"):
        hs.parse_path_data("M 0 0 X 1 2")


def _inside(rows):
    """bool [n]: rows that are steps inside a stroke (not the first row, not a jump to a new stroke)."""
    inside = np.ones(len(rows), bool)
    inside[np.flatnonzero(rows[:, 2])[:-1] + 1] = False
    inside[0] = False
    return inside


def _ink(rows):
    return float(np.hypot(*rows[_inside(rows), :2].T).sum())


SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">
  <defs><path d="M 0 0 L 999 999"/></defs>
  <g transform="translate(100, 0) scale(2)">
    <path d="M0 0 L 0 25 M 5 0 L 5 50"/>
  </g>
  <polyline points="20,0 30,100"/>
</svg>"""


def test_style_from_svg(tmp_path):
    path = tmp_path / "drawing.svg"
    path.write_text(SVG)
    style = hs.style_from_svg(str(path), "hi", size=580.0, step=None)
    # Absolute y-down points: (100,0) (100,50) | (110,0) (110,100) | (20,0) (30,100); scale 5.8.
    want = np.array([[0, 0, 0], [0, -50, 1], [10, 50, 0], [0, -100, 1], [-90, 100, 0], [10, -100, 1]]) * [5.8, 5.8, 1]
    np.testing.assert_allclose(style.strokes, want, rtol=1e-6)
    uniform = hs.style_from_svg(str(path), "hi", size=580.0, step=18.0)
    inside = _inside(uniform.strokes)
    steps = np.hypot(*uniform.strokes[inside, :2].T)
    assert steps.max() <= 18.0 + 1e-3 and steps.min() > 18.0 * 0.9
    dense = hs.style_from_svg(SVG, "hi")  # the SVG text itself; default size and resampling
    assert dense.num_strokes == 3
    assert _ink(dense.strokes) == pytest.approx(2 * hs.IAM_INK_PER_LETTER, rel=0.01)  # two letters' ink
    assert _ink(dense.strokes) / _inside(dense.strokes).sum() == pytest.approx(hs.IAM_MEAN_STEP, rel=0.05)
    from_d = hs.style_from_svg("M0 0 L 0 25 M 5 0 L 5 50", "hi", size=580.0, step=None)
    np.testing.assert_allclose(from_d.strokes, style.strokes[:4], rtol=1e-6)  # same shape, same height


def test_style_from_svg_errors(tmp_path):
    (tmp_path / "broken.svg").write_text("<svg><path d='M 0 0'")
    with pytest.raises(ValueError, match="Could not parse .*broken.svg as SVG"):
        hs.style_from_svg(str(tmp_path / "broken.svg"), "hi")
    with pytest.raises(ValueError, match="has no strokes"):
        hs.style_from_svg('<svg xmlns="http://www.w3.org/2000/svg"><rect width="5"/></svg>', "hi")
    with pytest.raises(ValueError, match="has no strokes"):
        hs.style_from_svg('<svg><path d=""/></svg>', "hi")
    with pytest.raises(ValueError, match="needs the text"):
        hs.style_from_svg(SVG, "")
    with pytest.raises(FileNotFoundError, match="No SVG file at"):
        hs.style_from_svg(str(tmp_path / "missing.svg"), "hi")
    with pytest.raises(ValueError, match="zero height"):
        hs.style_from_svg("M 0 0 L 10 0", "hi")


def test_style_from_json_strokes(tmp_path):
    strokes = [[[0, 0], [0, 10]], [], [[5, 0], [5, 20, 123.0]]]
    style = hs.style_from_json_strokes(strokes, "ok", size=None, step=None)
    np.testing.assert_array_equal(style.strokes, [[0, 0, 0], [0, -10, 1], [5, 10, 0], [0, -20, 1]])
    up = hs.style_from_json_strokes(strokes, "ok", y_down=False, size=None, step=None)
    np.testing.assert_array_equal(up.strokes[:, 1], [0, 10, -10, 20])
    (tmp_path / "s.json").write_text(json.dumps(strokes))
    scaled = hs.style_from_json_strokes(str(tmp_path / "s.json"), "ok", step=None)
    # 30 units of ink for two letters -> 2 x IAM_INK_PER_LETTER
    k = 2 * hs.IAM_INK_PER_LETTER / 30
    np.testing.assert_allclose(scaled.strokes, style.strokes * [k, k, 1], rtol=1e-6)
    assert hs.style_from_json_strokes(strokes, "ok", size=580.0, step=None).strokes[3, 1] == pytest.approx(-580)
    style.save(tmp_path / "style.json")
    with pytest.raises(ValueError, match="already a style file"):
        hs.style_from_json_strokes(str(tmp_path / "style.json"), "ok")
    with pytest.raises(ValueError, match="stroke 1 is not a list of"):
        hs.style_from_json_strokes([[[0, 0]], [[1]]], "ok")
    with pytest.raises(ValueError, match="must hold a JSON list of strokes"):
        hs.style_from_json_strokes({"points": []}, "ok")
    with pytest.raises(ValueError, match="no points"):
        hs.style_from_json_strokes([[], []], "ok")
    (tmp_path / "bad.json").write_text("[[0, 0]")
    with pytest.raises(ValueError, match="Could not parse .*bad.json as JSON"):
        hs.style_from_json_strokes(str(tmp_path / "bad.json"), "ok")


def test_cli(tmp_path, capsys):
    (tmp_path / "s.json").write_text(json.dumps([[[0, 0], [0, 10]], [[5, 0], [5, 20]]]))
    out = tmp_path / "style.json"
    hs.main(["--from_json", str(tmp_path / "s.json"), "--text", "ok", "--out", str(out)])
    assert f"Wrote {out}: 'ok'" in capsys.readouterr().out
    want = hs.style_from_json_strokes(str(tmp_path / "s.json"), "ok")
    np.testing.assert_array_equal(hs.Style.load(out).strokes, want.strokes)
    (tmp_path / "d.svg").write_text(SVG)
    hs.main(["--from_svg", str(tmp_path / "d.svg"), "--text", "hi", "--out", str(out)])
    assert hs.Style.load(out).num_strokes == 3
    with pytest.raises(SystemExit):
        hs.main(["--from_svg", str(tmp_path / "d.svg"), "--out", str(out)])
    assert "--text is required" in capsys.readouterr().err
    # --from_iam with a tiny pre-parsed corpus file
    npz = tmp_path / "iamondb_lines.npz"
    np.savez(npz, line_ids=np.array(["a01-000u-01"]), texts=np.array(["Hi"]), text_ok=np.array([True]),
             offsets=np.array([0, 3]), xy=np.array([[0, 0], [4, 2], [5, 9]], np.int16),
             pen_up=np.array([0, 1, 1], np.uint8))
    hs.main(["--from_iam", "a01-000u-01", "--data_dir", str(npz), "--out", str(out)])
    got = hs.Style.load(out)
    assert got.text == "Hi"
    np.testing.assert_array_equal(got.strokes, [[0, 0, 0], [4, -2, 1], [1, -7, 1]])
    with pytest.raises(SystemExit, match="No line 'a01-000u-07'"):
        hs.main(["--from_iam", "a01-000u-07", "--data_dir", str(npz), "--out", str(out)])


def test_style_file_errors_name_the_file(tmp_path):
    """Issue 10 items 4 and 10: a missing file names itself in the fix; a numeric text, NaN and
    eos errors name the file; a one-point drawing is not reported as 'zero height'."""
    missing = tmp_path / "nope.json"
    with pytest.raises(FileNotFoundError, match=rf"--out {missing}`"):
        hs.Style.load(str(missing))
    bad_text = tmp_path / "number.json"
    bad_text.write_text(json.dumps({"text": 42, "strokes": [[0, 0, 1]]}))
    with pytest.raises(ValueError, match=r"number.json: 'text' must be a string .*int 42"):
        hs.Style.load(str(bad_text))
    nan = tmp_path / "nan.json"
    nan.write_text('{"text": "hi", "strokes": [[0, 0, 0], [NaN, 1, 1]]}')
    with pytest.raises(ValueError, match=r"nan.json: Style strokes hold non-finite"):
        hs.Style.load(str(nan))
    eos = tmp_path / "eos.json"
    eos.write_text(json.dumps({"text": "hi", "strokes": [[0, 0, 0], [1, 1, 0]]}))
    with pytest.raises(ValueError, match=r"eos.json: The eos column"):
        hs.Style.load(str(eos))
    with pytest.raises(ValueError, match="has 1 point in all"):
        hs.style_from_json_strokes([[[0, 0]], []], "hi")
    with pytest.raises(ValueError, match="lie on one horizontal line"):
        hs.style_from_json_strokes([[[0, 0], [9, 0]]], "hi")


def _loops(letters, x_height, points_per_letter=40):
    """A joined line of loops, one per letter, in one stroke (y down), x_height tall."""
    t = np.linspace(0.0, letters, letters * points_per_letter, endpoint=False)
    return [np.stack([x_height * 0.9 * (t - 0.35 * np.sin(2 * np.pi * t)),
                      -x_height * (1 - np.cos(2 * np.pi * t)) / 2], axis=1)]


def test_drawn_styles_get_iam_size_and_pen_spacing_at_any_scale():
    """A drawing becomes IAM-OnDB-like whatever its units: its pen travels IAM_INK_PER_LETTER per
    letter, its points are IAM_MEAN_STEP apart on average (~25 rows per letter, as IAM lines), closer
    in tight turns than on straight runs and where a stroke starts; a word drawn 8 px or 800 px tall
    gives the same style."""
    small = hs.style_from_polylines(_loops(5, 8.0), "hello")
    large = hs.style_from_polylines([p * 100.0 for p in _loops(5, 8.0)], "hello")
    np.testing.assert_allclose(small.strokes, large.strokes, rtol=1e-4, atol=1e-3)
    assert _ink(small.strokes) == pytest.approx(5 * hs.IAM_INK_PER_LETTER, rel=0.01)  # chords cut the curves
    assert _ink(small.strokes) / _inside(small.strokes).sum() == pytest.approx(hs.IAM_MEAN_STEP, rel=0.05)
    assert 20 <= len(small.strokes) / 5 <= 30
    # A straight run, then a tight circle: the pen slows in the turn (two-thirds power law).
    line = np.stack([np.linspace(0, 400, 50), np.zeros(50)], 1)
    angle = np.linspace(0, 2 * np.pi, 100)
    circle = np.stack([400 + 15 * np.sin(angle), -15 + 15 * np.cos(angle)], 1)
    style = hs.style_from_polylines([np.concatenate([line, circle])], "lo", size=None)
    xy = np.cumsum(style.strokes[:, :2], axis=0)
    steps = np.hypot(*style.strokes[1:, :2].T)
    straight, turning = steps[(xy[1:, 0] > 100) & (xy[1:, 0] < 350)], steps[xy[1:, 0] > 390]
    assert np.median(turning) < 0.5 * np.median(straight)
    assert steps[0] < 0.6 * np.median(straight)  # a stroke starts slowly


RNG = np.random.default_rng(0)
CANVAS_NOISE = RNG.uniform([0, 0], [520, 130], (4999, 2))  # the web API's limits: 5,000 points, 300 strokes


@pytest.mark.parametrize("polylines,text,error", [
    ([[[0, 0], [1000, 0.001]]], "l", "too flat or scribbled"),
    ([[[0, 0], [1000, 0.05]]], "l", "only 0.05 units tall"),
    ([[[0, 0], [10, 0.05], [20, 0]]], "hello", "too flat or scribbled"),
    ([CANVAS_NOISE], "hello", "too flat or scribbled"),
    (np.array_split(CANVAS_NOISE, 300), "hello", "too flat or scribbled"),
    (np.array_split(CANVAS_NOISE, 300), "a fairly long sentence of sixty letters or so, in one line", "scribbled"),
    (np.array_split(CANVAS_NOISE, 300), "word " * 39, "more than the 2,000 of one line"),
    ([[[0, 0], [0, 100]]], "a whole sentence for one tick", "too little ink for 24 letters"),
    ([[[0, 0], [0, 100]]], "x" * 201, "at most 200 characters"),
    ([[[i, i % 7]] for i in range(299)] + [[[0, 0], [0, 0]]], "dots", "all dots"),
    ([[[0, 0], [0.001, 1000]]], "l", None),
    ([[[0, 0], [1e-9, 2e-9], [0, 3e-9]]], "l", None),
    ([[[0, 0], [1e9, 2e9], [0, 3e9]]], "l", None),
    ([[[i, 0]] for i in range(299)] + [[[0, 0], [0, 50]]], "l", None),
    ([p + [0, 150 * k] for k in range(3) for p in _loops(20, 10.0, 83)], "lots of letters on three lines", None),
], ids=["flat 1000x0.001", "flat 1000x0.05", "flat zigzag", "4999 random points, 1 stroke",
        "4999 random points, 300 strokes", "random points, long text", "random points, too long a text",
        "one tick for a sentence", "text over 200 characters", "only dots", "thin vertical 'l'", "1e-9 units",
        "1e9 units", "299 dots and a line", "4980 points of loops"])
def test_degenerate_drawings_are_refused_or_made_sane_quickly(polylines, text, error):
    """Issue: a 1000 x 0.001 line took 18 s and 7 GB, a 0.05-tall one never answered, 4,999 random
    points 59 s. Every drawing now costs well under a second: a ValueError that says what is wrong,
    or a style of at most MAX_STYLE_POINTS rows at IAM's size."""
    start = time.perf_counter()
    if error:
        with pytest.raises(ValueError, match=re.escape(error)):
            hs.style_from_polylines(polylines, text)
    else:
        style = hs.style_from_polylines(polylines, text)
        assert len(style.strokes) <= hs.MAX_STYLE_POINTS
        assert _ink(style.strokes) == pytest.approx(hs.IAM_INK_PER_LETTER * len(text.replace(" ", "")), rel=0.03)
    assert time.perf_counter() - start < 2.0


def test_style_size_is_capped():
    with pytest.raises(ValueError, match="at most 2,000 points; this one has 2,001"):
        hs.Style(strokes=np.zeros((2001, 3)) + [1, 0, 1], text="a")
    with pytest.raises(ValueError, match="at most 200 characters; this one has 201"):
        hs.Style(strokes=np.zeros((2, 3)) + [1, 0, 1], text="a" * 201)
    with pytest.raises(ValueError, match="size must be 'text', a positive height or None"):
        hs.style_from_polylines([[[0, 0], [0, 10]]], "l", size=-1)
    with pytest.raises(ValueError, match="step must be 'pen', a positive spacing or None"):
        hs.style_from_polylines([[[0, 0], [0, 10]]], "l", step="fast")
