"""Handwriting styles for priming the synthesis network (Graves 2013 section 5.5).

A style is a real line of handwriting plus the text it writes: the network first reads these
strokes and characters, then continues in the same hand. A style is made once and saved as a
small JSON file that any number of sampling calls reuse:

    {"text": "A MOVE to stop", "strokes": [[dx, dy, eos], ...]}

strokes are float32 [n, 3] raw offsets in the IAM corpus convention (data_utils.iam): whiteboard
units, y pointing up, first row (0, 0), eos = 1 on the last point of every stroke.

Sources: an IAM-OnDB line id (`style_from_iam`), an SVG drawing (`style_from_svg`: <path>,
<polyline>, <polygon> and <line> elements, each path sub-path one stroke), or a JSON list of
strokes of absolute [x, y] points (`style_from_json_strokes`). Drawings are rescaled so that their
pen travels as far per letter as in IAM-OnDB (IAM_INK_PER_LETTER) and resampled the way the
corpus' pen samples (IAM_MEAN_STEP apart on average, closer in turns), so the network reads
them like its training data, at its pace over the text; drawings that cannot be a line of
handwriting of their text (flat, scribbled) or that would exceed MAX_STYLE_POINTS are refused
before any costly step.

CLI:
    python -m data_utils.handwriting_style --from_iam a01-000u-01 --data_dir DATA --out style.json
    python -m data_utils.handwriting_style --from_svg drawing.svg --text "hello" --out style.json
    python -m data_utils.handwriting_style --from_json strokes.json --text "hello" --out style.json
"""
import argparse
import dataclasses
import json
import math
import os
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from fileio.files import atomic_open

if TYPE_CHECKING:
    from data_utils.iam import Corpus

# Median vertical extent (max y - min y) of an IAM-OnDB line, raw units (580 over 12,195 lines).
IAM_LINE_HEIGHT = 580.0
# Median pen-down path length per letter (non-space character) of an IAM-OnDB line, raw units
# (487 over the 12,177 transcribed lines; the middle 80% of lines 329-744).
IAM_INK_PER_LETTER = 487.0
# Median of each line's pen-down path length per step between points of a stroke, raw units
# (20.2; single steps are spread widely, 4.5-37 for the middle 80%, by the pen's speed).
IAM_MEAN_STEP = 20.0
# Most points of a style: one line of handwriting (IAM-OnDB's longest line has 1,940 points,
# 99.9% have under 1,450). Bounds the work of every sampling call that reads a style.
MAX_STYLE_POINTS = 2000
MAX_STYLE_CHARS = 200  # characters of a style's text (IAM-OnDB's longest line has 64)
_CURVE_SAMPLES = 8  # points per Bezier segment before resampling
_DENSE_STEP = 2.0  # IAM units between the points a stroke is measured on before resampling
_CURVE_REACH = 20.0  # curvature is the turn over this many IAM units each side of a point
_CURVATURE_RANGE = (1e-3, 0.3)  # 1/units: point spacing varies 6.7x at most, as IAM's middle 80% (8x)
# Allowed height * letters / ink of a drawing (scale-free). IAM-OnDB lines: 0.5-4.5; single words
# cut from them: 0.05-9 (a flat dash or a scribble is below, a few tall strokes for a long text above).
_SHAPE_RANGE = (0.02, 20.0)


def _check_text(text):
    if not isinstance(text, str) or not text.strip():
        raise ValueError("A style needs the text its strokes write (a non-empty string); pass --text.")
    if len(text) > MAX_STYLE_CHARS:
        raise ValueError(f"A style is one line of handwriting: its text may hold at most {MAX_STYLE_CHARS} "
                         f"characters; this one has {len(text):,}.")


@dataclasses.dataclass
class Style:
    """strokes: float32 [n, 3] raw offsets (dx, dy up, eos); text: what they write."""

    strokes: np.ndarray
    text: str

    def __post_init__(self):
        _check_text(self.text)
        strokes = np.asarray(self.strokes, dtype=np.float32)
        if strokes.ndim != 2 or strokes.shape[1] != 3 or len(strokes) == 0:
            raise ValueError(f"Style strokes must be rows [dx, dy, eos], shape [n, 3] with n >= 1; "
                             f"got shape {list(strokes.shape)}.")
        if len(strokes) > MAX_STYLE_POINTS:
            raise ValueError(f"A style is one line of handwriting, at most {MAX_STYLE_POINTS:,} points; this one has "
                             f"{len(strokes):,}. Use a shorter line.")
        if not np.isfinite(strokes).all():
            raise ValueError("Style strokes hold non-finite values (NaN or inf).")
        if not np.isin(strokes[:, 2], (0.0, 1.0)).all() or strokes[-1, 2] != 1.0:
            raise ValueError("The eos column of style strokes must be 0 or 1, and 1 on the last row.")
        self.strokes = strokes

    @property
    def num_strokes(self) -> int:
        return int(self.strokes[:, 2].sum())

    def save(self, path: str | os.PathLike) -> None:
        rows = [[float(f"{dx:.9g}"), float(f"{dy:.9g}"), int(eos)] for dx, dy, eos in self.strokes]
        with atomic_open(path) as f:
            json.dump({"text": self.text, "strokes": rows}, f, ensure_ascii=False)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Style":
        """Read a style file written by save(); errors say what is wrong with the file."""
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No style file at {path}. Make one with "
                                    f"`python -m data_utils.handwriting_style ... --out {path}`.")
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"{path} is not a style file: it is not valid JSON ({e}).") from None
        if not isinstance(data, dict) or "text" not in data or "strokes" not in data:
            raise ValueError(f"{path} is not a style file: expected a JSON object with keys "
                             "'text' and 'strokes' ([[dx, dy, eos], ...]).")
        if not isinstance(data["text"], str):
            raise ValueError(f"{path}: 'text' must be a string (the text the strokes write); got "
                             f"{type(data['text']).__name__} {data['text']!r}.")
        try:
            strokes = np.array(data["strokes"], dtype=np.float32)
        except (TypeError, ValueError):
            raise ValueError(f"{path}: 'strokes' must be a list of [dx, dy, eos] rows.") from None
        try:
            return cls(strokes=strokes, text=data["text"])
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None


# ----------------------------------------------------------------------------------------------
# From the corpus


def style_from_iam(corpus: "Corpus", line_id: str) -> Style:
    """The style of one IAM-OnDB line of a data_utils.iam.Corpus, e.g. 'a01-000u-01'."""
    i = corpus.index(line_id)
    if not corpus.text_ok[i]:
        raise ValueError(f"Line {line_id} has no usable transcription (its form is misaligned, empty "
                         "or a placeholder), so it cannot prime synthesis; pick another line.")
    return Style(strokes=np.array(corpus.strokes[i], dtype=np.float32), text=corpus.texts[i])


# ----------------------------------------------------------------------------------------------
# From drawings (absolute polylines)


def _ink(poly: np.ndarray) -> float:
    """Pen-down path length of one [n, 2] polyline."""
    return float(np.hypot(*np.diff(poly, axis=0).T).sum()) if len(poly) > 1 else 0.0


def _along(points, at):
    """[n, 2] polyline, arc lengths `at` [m] -> the points at those distances along it [m, 2]."""
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])
    return np.stack([np.interp(at, cum, points[:, 0]), np.interp(at, cum, points[:, 1])], axis=1)


def _resample(points, step):
    """[n, 2] polyline -> points every `step` along it (both ends kept); a dot stays one point."""
    total = _ink(points)
    if total == 0.0:
        return points[:1]
    return _along(points, np.linspace(0.0, total, max(int(math.ceil(total / step)), 1) + 1))


def _pen_density(points):
    """[n, 2] polyline in IAM units (with length) -> (arc lengths s [m], cumulative point
    density at s [m], 0 at s = 0): where IAM-OnDB's pen would have left its points.

    IAM-OnDB's pen is sampled in time, so its points crowd where the pen is slow: in tight turns
    and where a stroke starts. The density follows the two-thirds power law of handwriting
    (speed ~ curvature^(-1/3); IAM-OnDB's point spacing fits curvature^(-0.34)), the curvature
    measured over _CURVE_REACH units each side, and is raised where a stroke starts (IAM's
    first step is a third of a stroke's typical one) and, less, where it ends."""
    total = _ink(points)
    s = np.linspace(0.0, total, max(int(math.ceil(total / _DENSE_STEP)), 2) + 1)
    dense = _along(points, s)
    reach = max(int(round(_CURVE_REACH / _DENSE_STEP)), 1)
    idx = np.arange(len(dense))
    before = dense - dense[np.maximum(idx - reach, 0)]
    after = dense[np.minimum(idx + reach, len(dense) - 1)] - dense
    turn = np.abs(np.arctan2(before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0], (before * after).sum(1)))
    chord = (np.hypot(*before.T) + np.hypot(*after.T)) / 2.0
    curvature = np.clip(turn / np.maximum(chord, 1e-9), *_CURVATURE_RANGE)
    density = np.cbrt(curvature) * (1.0 + 2.0 * np.exp(-s / _CURVE_REACH)
                                    + 0.3 * np.exp(-(total - s) / _CURVE_REACH))
    return s, np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2.0 * np.diff(s))])


def _resample_like_pen(polys, mean_step):
    """Strokes in IAM units -> the same strokes with points where IAM-OnDB's pen would have
    left them (_pen_density), mean_step apart on average over the whole drawing. Dots (strokes
    without length) stay one point."""
    densities = [_pen_density(p) if _ink(p) > 0.0 else None for p in polys]
    mass = sum(d[1][-1] for d in densities if d is not None)
    per_mass = sum(_ink(p) for p in polys) / mean_step / mass  # steps per unit of density
    out = []
    for p, d in zip(polys, densities):
        if d is None:
            out.append(p[:1])
            continue
        s, cum = d
        steps = max(int(round(cum[-1] * per_mass)), 1)
        out.append(_along(p, np.interp(np.linspace(0.0, cum[-1], steps + 1), cum, s)))
    return out


def _letters(text):
    return sum(not ch.isspace() for ch in text)


def style_from_polylines(polylines: Iterable[ArrayLike], text: str, y_down: bool = True,
                         size: str | float | None = "text", step: str | float | None = "pen") -> Style:
    """Strokes given as absolute points -> Style, drawn at the size and with the point spacing
    of IAM-OnDB (the synthesis network's training data), whatever the drawing's own units.

    polylines: list of [n_i, 2] absolute (x, y), one per stroke, in writing order; y_down: y
    grows downwards (SVG, screen, canvas coordinates).
    size: "text": scaled so that the pen travels IAM_INK_PER_LETTER per letter of `text` (the
        median of IAM-OnDB's lines; unlike the height, which depends on which letters rise or
        descend, this holds for one word as for a line); a number: scaled to this height; None:
        kept as it is.
    step: "pen": resampled the way IAM-OnDB's pen samples (_resample_like_pen: IAM_MEAN_STEP
        apart on average, closer in turns and where strokes start); a number: every `step`
        units along each stroke; None: the drawing's own points.
    The network reads the style with its window over the text: a drawing larger or denser than
    IAM's moves the window faster than the letters and a smaller one slower, so the drawing must
    look like IAM's in these units. Raises ValueError, before any costly step, for a drawing
    that cannot be a line of handwriting of `text` (flat, a scribble, too little ink for the
    text) or that would become more than MAX_STYLE_POINTS points."""
    _check_text(text)
    polys = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in polylines]
    polys = [p for p in polys if len(p)]  # empty strokes carry nothing
    if not polys:
        raise ValueError("The drawing has no points: every path or stroke is empty.")
    if not all(np.isfinite(p).all() for p in polys):
        raise ValueError("The drawing holds non-finite coordinates (NaN or inf).")
    points = sum(len(p) for p in polys)
    if points < 2:
        raise ValueError(f"The drawing has {points} point in all; a style needs a written line (strokes "
                         "with many points) to show the network a hand.")
    ys = np.concatenate([p[:, 1] for p in polys])
    height = float(ys.max() - ys.min())
    if height == 0.0:
        raise ValueError(f"All {points} points of the drawing lie on one horizontal line (zero height), so "
                         "it cannot be scaled to a line of handwriting; write the line itself.")
    ink = sum(_ink(p) for p in polys)
    if ink == 0.0:
        raise ValueError(f"The drawing's {len(polys)} strokes are all dots (no stroke has length); write "
                         "the line itself.")
    letters = _letters(text)
    shape = height * letters / ink  # scale-free: IAM-OnDB lines 0.5-4.5, single words 0.05-9
    if shape < _SHAPE_RANGE[0]:
        raise ValueError(
            f"The drawing is too flat or scribbled to be handwriting of {text!r}: its pen travels {ink:.4g} "
            f"units ({ink / letters:.4g} per letter) in a drawing only {height:.3g} units tall; handwritten "
            f"letters travel at most ~{1 / _SHAPE_RANGE[0]:.0f} times the line's height. Write the text "
            "itself, on one line, and give exactly what it says.")
    if shape > _SHAPE_RANGE[1]:
        raise ValueError(
            f"The drawing has too little ink for {letters} letters ({text!r}): its pen travels {ink:.4g} units "
            f"in a drawing {height:.4g} units tall, under a {_SHAPE_RANGE[1]:.0f}th of the height per letter. "
            "Give exactly the text the drawing writes.")
    if size == "text":
        scale = IAM_INK_PER_LETTER * letters / ink
    elif size is None:
        scale = 1.0
    elif isinstance(size, (int, float)) and size > 0:
        scale = float(size) / height
    else:
        raise ValueError(f"size must be 'text', a positive height or None; got {size!r}.")
    if step == "pen":
        mean_step = IAM_MEAN_STEP
    elif step is None:
        mean_step = None
    elif isinstance(step, (int, float)) and step > 0:
        mean_step = float(step)
    else:
        raise ValueError(f"step must be 'pen', a positive spacing or None; got {step!r}.")
    expected = points if mean_step is None else ink * scale / mean_step + 2 * len(polys)
    if expected > MAX_STYLE_POINTS:
        raise ValueError(
            f"The style would have ~{expected:,.0f} points, more than the {MAX_STYLE_POINTS:,} of one line of "
            f"handwriting ({len(polys)} strokes{'' if size != 'text' else f' for {letters} letters'}); "
            "write one line of at most ~70 letters.")
    polys = [p * scale for p in polys]
    if step == "pen":
        polys = _resample_like_pen(polys, mean_step)
    elif mean_step is not None:
        polys = [_resample(p, mean_step) for p in polys]
    points = np.concatenate(polys)
    rows = np.zeros((len(points), 3), dtype=np.float32)
    rows[1:, 0:2] = np.diff(points, axis=0)
    if y_down:
        rows[:, 1] = 0.0 - rows[:, 1]
    rows[np.cumsum([len(p) for p in polys]) - 1, 2] = 1.0
    return Style(strokes=rows, text=text)


def style_from_json_strokes(path_or_list: str | os.PathLike | list, text: str, y_down: bool = True,
                            size: str | float | None = "text", step: str | float | None = "pen") -> Style:
    """A JSON list of strokes, each a list of absolute [x, y] points (extra values per point,
    e.g. time, are ignored), from a file path or an already loaded list -> Style.
    y_down: the points use screen coordinates (y grows downwards), as canvases and SVG do.
    size, step: see style_from_polylines."""
    data = path_or_list
    where = "the stroke list"
    if isinstance(path_or_list, (str, os.PathLike)):
        where = str(path_or_list)
        if not os.path.isfile(where):
            raise FileNotFoundError(f"No JSON stroke file at {where}.")
        try:
            with open(where, encoding="utf-8") as f:
                data = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"Could not parse {where} as JSON ({e}).") from None
    if isinstance(data, dict) and "strokes" in data and "text" in data:
        raise ValueError(f"{where} is already a style file ({{text, strokes}}); load it with Style.load.")
    if not isinstance(data, list):
        raise ValueError(f"{where} must hold a JSON list of strokes, each a list of [x, y] points.")
    polylines = []
    for k, stroke in enumerate(data):
        try:
            pts = [[float(p[0]), float(p[1])] for p in stroke]
        except (TypeError, ValueError, IndexError, KeyError):
            raise ValueError(f"{where}: stroke {k} is not a list of [x, y] points.") from None
        polylines.append(np.array(pts).reshape(-1, 2))
    return style_from_polylines(polylines, text, y_down, size, step)


# ----------------------------------------------------------------------------------------------
# SVG

_TOKEN = re.compile(r"[MmLlHhVvCcSsQqTtAaZz]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_NARGS = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "T": 2, "A": 7}


def _bezier(points, n=_CURVE_SAMPLES):
    """Control points [k, 2] -> n points of the Bezier curve after its start (t in (0, 1])."""
    t = np.linspace(0.0, 1.0, n + 1)[1:, None, None]
    pts = np.broadcast_to(np.asarray(points, dtype=np.float64), (n, len(points), 2))
    while pts.shape[1] > 1:  # de Casteljau
        pts = pts[:, :-1] * (1 - t) + pts[:, 1:] * t
    return pts[:, 0]


def parse_path_data(d: str) -> list[np.ndarray]:
    """SVG path data ('M 10 10 L 20 10 c ...') -> list of [n, 2] absolute polylines, one per
    sub-path. M/L/H/V/C/S/Q/T/Z in absolute and relative form; curves sampled at a few points;
    arcs (A) approximated by a straight segment to their end point."""
    leftover = _TOKEN.sub("", d).replace(",", "").strip()
    if leftover:
        raise ValueError(f"Cannot parse SVG path data: unexpected {leftover[:20]!r} in {d[:60]!r}.")
    tokens = _TOKEN.findall(d)
    strokes, current = [], None
    pos = np.zeros(2)
    start = np.zeros(2)
    ctrl = None  # last control point, for S/T reflection
    cmd, prev, i = None, None, 0
    while i < len(tokens):
        if tokens[i].isalpha():
            cmd = tokens[i]
            i += 1
            if cmd in "Zz":
                if current is not None:
                    current.append(start.copy())
                current, pos, prev = None, start.copy(), "Z"
                continue
        elif cmd is None or cmd in "Zz":
            raise ValueError(f"Cannot parse SVG path data: numbers without a command in {d[:60]!r}.")
        up = cmd.upper()
        n = _NARGS[up]
        args = tokens[i:i + n]
        if len(args) < n or any(a.isalpha() for a in args):
            raise ValueError(f"Cannot parse SVG path data: '{cmd}' needs {n} numbers in {d[:60]!r}.")
        i += n
        v = np.array([float(a) for a in args])
        base = pos if cmd.islower() else np.zeros(2)
        if up == "M":
            pos = start = base + v
            current = [pos.copy()]
            strokes.append(current)
            cmd = "l" if cmd == "m" else "L"  # further pairs are line-to
            prev, ctrl = "M", None
            continue
        if current is None:
            if prev is None:
                raise ValueError(f"Cannot parse SVG path data: it must start with 'M' ({d[:60]!r}).")
            current = [pos.copy()]
            strokes.append(current)
        if up == "H":
            new = [np.array([v[0] + (pos[0] if cmd.islower() else 0.0), pos[1]])]
        elif up == "V":
            new = [np.array([pos[0], v[0] + (pos[1] if cmd.islower() else 0.0)])]
        elif up in ("L", "A"):
            new = [base + v[-2:]]
        elif up in ("C", "S"):
            if up == "C":
                c1, c2, end = base + v[0:2], base + v[2:4], base + v[4:6]
            else:
                c1 = 2 * pos - ctrl if prev in ("C", "S") else pos.copy()
                c2, end = base + v[0:2], base + v[2:4]
            new = list(_bezier([pos, c1, c2, end]))
            ctrl = c2
        else:  # Q, T
            if up == "Q":
                c, end = base + v[0:2], base + v[2:4]
            else:
                c = 2 * pos - ctrl if prev in ("Q", "T") else pos.copy()
                end = base + v[0:2]
            new = list(_bezier([pos, c, end]))
            ctrl = c
        current.extend(new)
        pos = np.array(new[-1], dtype=np.float64)
        prev = up
    return [np.array(s) for s in strokes]


def _transform_matrix(spec):
    """SVG transform attribute -> 3x3 matrix (matrix, translate, scale, rotate, skewX, skewY)."""
    m = np.eye(3)
    for name, args in re.findall(r"(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^)]*)\)", spec or ""):
        a = [float(x) for x in _NUMBER.findall(args)]
        t = np.eye(3)
        if name == "matrix" and len(a) == 6:
            t[0], t[1] = [a[0], a[2], a[4]], [a[1], a[3], a[5]]
        elif name == "translate" and a:
            t[0, 2], t[1, 2] = a[0], (a[1] if len(a) > 1 else 0.0)
        elif name == "scale" and a:
            t[0, 0], t[1, 1] = a[0], (a[1] if len(a) > 1 else a[0])
        elif name == "rotate" and a:
            r = math.radians(a[0])
            t[:2, :2] = [[math.cos(r), -math.sin(r)], [math.sin(r), math.cos(r)]]
            if len(a) == 3:
                t = _translate(a[1], a[2]) @ t @ _translate(-a[1], -a[2])
        elif name == "skewX" and a:
            t[0, 1] = math.tan(math.radians(a[0]))
        elif name == "skewY" and a:
            t[1, 0] = math.tan(math.radians(a[0]))
        m = m @ t
    return m


def _translate(x, y):
    t = np.eye(3)
    t[0, 2], t[1, 2] = x, y
    return t


def _svg_polylines(element, matrix, out):
    tag = element.tag.rsplit("}", 1)[-1]
    if tag in ("defs", "clipPath", "mask", "symbol", "marker", "pattern"):
        return
    matrix = matrix @ _transform_matrix(element.get("transform"))
    found = []
    if tag == "path" and element.get("d"):
        found = parse_path_data(element.get("d"))
    elif tag in ("polyline", "polygon") and element.get("points"):
        nums = [float(x) for x in _NUMBER.findall(element.get("points"))]
        pts = np.array(nums[: len(nums) // 2 * 2]).reshape(-1, 2)
        if tag == "polygon" and len(pts):
            pts = np.concatenate([pts, pts[:1]])
        found = [pts]
    elif tag == "line":
        found = [np.array([[float(element.get(k, 0)) for k in ("x1", "y1")],
                           [float(element.get(k, 0)) for k in ("x2", "y2")]])]
    for pts in found:
        if len(pts):
            out.append(pts @ matrix[:2, :2].T + matrix[:2, 2])
    for child in element:
        _svg_polylines(child, matrix, out)


def style_from_svg(svg: str | os.PathLike, text: str, size: str | float | None = "text",
                   step: str | float | None = "pen") -> Style:
    """An SVG drawing -> Style. svg: a file path, an SVG document string, or bare path data
    ('M 0 0 L 10 5 ...'). Every sub-path (each M) of each <path>, and each <polyline>,
    <polygon>, <line>, is one stroke, in document order; transforms are applied; SVG's y axis
    points down, as the raw IAM data does. See style_from_polylines for size and step."""
    svg = str(svg)
    if svg.lstrip()[:1] in ("M", "m"):
        polylines = parse_path_data(svg)
    else:
        if svg.lstrip().startswith("<"):
            content, where = svg, "the SVG text"
        else:
            if not os.path.isfile(svg):
                raise FileNotFoundError(f"No SVG file at {svg}.")
            with open(svg, "rb") as f:
                content, where = f.read(), svg
        try:
            root = ET.fromstring(content)
        except ET.ParseError as e:
            raise ValueError(f"Could not parse {where} as SVG (XML error: {e}).") from None
        polylines = []
        _svg_polylines(root, np.eye(3), polylines)
        if not polylines:
            raise ValueError(f"{where} has no strokes: no <path d>, <polyline>, <polygon> or <line> with points.")
    return style_from_polylines(polylines, text, y_down=True, size=size, step=step)


# ----------------------------------------------------------------------------------------------
# CLI


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m data_utils.handwriting_style",
        description="Make a handwriting style file (priming strokes + their text) for synthesis.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--from_iam", metavar="LINE_ID", help="an IAM-OnDB line id, e.g. a01-000u-01")
    source.add_argument("--from_svg", metavar="SVG", help="an SVG drawing of one line of handwriting")
    source.add_argument("--from_json", metavar="JSON", help="a JSON list of strokes of absolute [x, y] points")
    parser.add_argument("--text", help="what the drawing writes (required with --from_svg/--from_json)")
    parser.add_argument("--data_dir", help="IAM-OnDB data (with --from_iam), as for data_utils.iam.load_corpus")
    parser.add_argument("--cache_dir", help="where the parsed-corpus cache lives (with --from_iam)")
    parser.add_argument("--y_up", action="store_true", help="--from_json points have y growing upwards")
    parser.add_argument("--out", required=True, help="the style file to write (.json)")
    args = parser.parse_args(argv)
    try:
        if args.from_iam:
            if not args.data_dir:
                parser.error("--from_iam needs --data_dir (the IAM-OnDB data).")
            if args.text:
                parser.error("--text is taken from the IAM transcription with --from_iam; leave it out.")
            from data_utils import iam
            style = style_from_iam(iam.load_corpus(args.data_dir, cache_dir=args.cache_dir), args.from_iam)
        else:
            if not args.text:
                parser.error("--text is required with --from_svg / --from_json: what does the drawing write?")
            if args.from_svg:
                style = style_from_svg(args.from_svg, args.text)
            else:
                style = style_from_json_strokes(args.from_json, args.text, y_down=not args.y_up)
        style.save(args.out)
    except (ValueError, KeyError, FileNotFoundError) as e:
        sys.exit(f"error: {e.args[0] if isinstance(e, KeyError) else e}")
    print(f"Wrote {args.out}: {style.text!r}, {len(style.strokes)} points in {style.num_strokes} strokes.")


if __name__ == "__main__":
    main()
