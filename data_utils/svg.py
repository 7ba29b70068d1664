"""SVG rendering of drawings with svgwrite (no model imports).

A drawing is a stroke-3 array [n, 3] (dx, dy, pen_lifted) in any units: every drawing is scaled
uniformly (same factor for x and y) and centred into its cell, so normalised and raw data look the
same. Each stroke becomes one <polyline>; y grows downwards as in QuickDraw.

- draw(strokes)                      one drawing -> svgwrite.Drawing
- grid(drawings, cols, captions)     rows x cols cells -> svgwrite.Drawing
- pairs(originals, reconstructions)  two columns: original | reconstruction
- row(drawings)                      one row (e.g. an interpolation)
- save(dwg, path), save_grid(drawings, path, ...)  write files
"""
import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import svgwrite
from numpy.typing import ArrayLike

from data_utils.strokes import strokes_to_lines
from fileio.files import atomic_open

# One colour per stroke (cycled) when color_strokes=True.
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]


def fit_lines(lines: Sequence[np.ndarray], x: float, y: float, width: float, height: float,
              padding: float = 0.0) -> list[np.ndarray]:
    """Scale and translate absolute polylines so their bounding box is centred in the box (x, y, width,
    height) minus padding, keeping the aspect ratio. Returns new [k, 2] arrays."""
    if not lines:
        return []
    xy = np.concatenate(lines)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    extent = hi - lo
    room = np.array([width - 2 * padding, height - 2 * padding], np.float64)
    scale = min(room[extent > 0] / extent[extent > 0], default=1.0)
    offset = np.array([x, y]) + padding + (room - extent * scale) / 2.0 - lo * scale
    return [line * scale + offset for line in lines]


def _points(line):
    if len(line) == 1:  # a dot: a zero-length segment drawn with round caps
        line = np.repeat(line, 2, axis=0)
    return [(round(float(px), 2), round(float(py), 2)) for px, py in line]


def drawing_group(dwg: svgwrite.Drawing, strokes: ArrayLike, x: float = 0.0, y: float = 0.0, width: float = 100.0,
                  height: float = 100.0, color: str = "black", color_strokes: bool = False, stroke_width: float = 1.5,
                  padding: float = 5.0) -> svgwrite.container.Group:
    """Add one drawing to dwg as a <g> of polylines fitted into the box; returns the group."""
    group = dwg.g(fill="none", stroke_linecap="round", stroke_linejoin="round", stroke_width=stroke_width)
    lines = strokes_to_lines(np.asarray(strokes, np.float64).reshape(-1, 3))
    for k, line in enumerate(fit_lines(lines, x, y, width, height, padding)):
        stroke = PALETTE[k % len(PALETTE)] if color_strokes else color
        group.add(dwg.polyline(_points(line), stroke=stroke))
    dwg.add(group)
    return group


def grid(drawings: Sequence[ArrayLike], cols: int | None = None, cell_size: float = 120,
         captions: Sequence[str] | None = None, color: str = "black", color_strokes: bool = False,
         stroke_width: float = 1.5, padding: float = 8.0, caption_size: float = 11, background: str | None = "white",
         filename: str = "drawing.svg") -> svgwrite.Drawing:
    """Drawings in a grid of ceil(n / cols) rows x cols cells (cols defaults to ceil(sqrt(n))), filled
    row by row, each fitted into a cell_size square; captions (a list of n strings, "" for none) are
    written under the cells."""
    n = len(drawings)
    cols = max(1, min(cols or math.ceil(math.sqrt(max(n, 1))), max(n, 1)))
    rows = max(1, math.ceil(n / cols))
    if captions is not None and len(captions) != n:
        raise ValueError(f"{len(captions)} captions for {n} drawings.")
    text_h = caption_size * 1.6 if captions is not None and any(captions) else 0.0
    cell_h = cell_size + text_h
    width, height = cols * cell_size, rows * cell_h
    dwg = svgwrite.Drawing(filename, size=(f"{width:g}px", f"{height:g}px"), viewBox=f"0 0 {width:g} {height:g}",
                           debug=False)
    if background:
        dwg.add(dwg.rect((0, 0), (width, height), fill=background))
    for i, strokes in enumerate(drawings):
        x, y = (i % cols) * cell_size, (i // cols) * cell_h
        drawing_group(dwg, strokes, x, y, cell_size, cell_size, color, color_strokes, stroke_width, padding)
        if text_h and captions[i]:
            dwg.add(dwg.text(str(captions[i]), insert=(x + cell_size / 2.0, y + cell_size + caption_size * 1.1),
                             text_anchor="middle", font_size=caption_size, font_family="sans-serif", fill="#333"))
    return dwg


def draw(strokes: ArrayLike, size: float = 200, **style: Any) -> svgwrite.Drawing:
    """One drawing fitted into a size x size picture (style: as grid)."""
    return grid([strokes], cols=1, cell_size=size, **style)


def pairs(originals: Sequence[ArrayLike], reconstructions: Sequence[ArrayLike],
          captions: Sequence[str] | None = ("original", "reconstruction"), **style: Any) -> svgwrite.Drawing:
    """Two columns, one row per pair: originals[i] | reconstructions[i]."""
    if len(originals) != len(reconstructions):
        raise ValueError(f"{len(originals)} originals but {len(reconstructions)} reconstructions.")
    cells = [d for pair in zip(originals, reconstructions) for d in pair]
    labels = list(captions) * len(originals) if captions else None
    return grid(cells, cols=2, captions=labels, **style)


def row(drawings: Sequence[ArrayLike], captions: Sequence[str] | None = None, **style: Any) -> svgwrite.Drawing:
    """All drawings in one row (e.g. an interpolation between the first and the last)."""
    return grid(drawings, cols=max(1, len(drawings)), captions=captions, **style)


def save(dwg: svgwrite.Drawing, path: str | os.PathLike) -> str | os.PathLike:
    """Write an svgwrite.Drawing to path, atomically (folders created); returns path."""
    with atomic_open(path) as f:
        dwg.write(f)
    return path


def save_grid(drawings: Sequence[ArrayLike], path: str | os.PathLike, cols: int | None = None,
              **style: Any) -> str | os.PathLike:
    """grid(drawings, cols, **style) written to path; returns path."""
    return save(grid(drawings, cols=cols, **style), path)


# ----------------------------------------------------------------------------------------------
# Handwriting (Graves 2013): pages of lines, window weights (Fig. 13), mixture densities (Fig. 10).
# Strokes here are IAM-OnDB offsets [n, 3] (dx, dy, eos) with y pointing UP and eos = 1 on the last
# point of each stroke (data_utils.iam); they are flipped to the SVG's downward y when drawn.


def handwriting_polylines(strokes: ArrayLike) -> list[np.ndarray]:
    """IAM offsets [n, 3] -> absolute polylines [k, 2] in screen coordinates (y down), one per
    stroke; the first point is the first row's offset from the origin."""
    s = np.asarray(strokes, np.float64).reshape(-1, 3)
    if not len(s):
        return []
    xy = np.cumsum(s[:, :2], axis=0) * np.array([1.0, -1.0])
    return [p for p in np.split(xy, np.flatnonzero(s[:, 2] > 0.5) + 1) if len(p)]


def _r(v):
    return round(float(v), 1)


def _add_polylines(dwg, parent, polylines, stroke_width, stroke_color):
    group = dwg.g(fill="none", stroke=stroke_color, stroke_width=stroke_width, stroke_linecap="round",
                  stroke_linejoin="round")
    for line in polylines:
        pts = line if len(line) > 1 else np.repeat(line, 2, axis=0)
        group.add(dwg.polyline([(_r(x), _r(y)) for x, y in pts]))
    parent.add(group)


def handwriting_page(lines: Sequence[ArrayLike | None], stroke_width: float = 2.0, stroke_color: str = "black",
                     line_height: float = 60.0, margin: float = 20.0, background: str | None = "white",
                     filename: str = "handwriting.svg") -> svgwrite.Drawing:
    """Lines of handwriting one below the other, left-aligned, all at one scale.

    lines: list of IAM offsets [n, 3] (one text line each; None or an empty array leaves a blank
    line). The scale maps the median line height to line_height pixels."""
    polys = [handwriting_polylines(line) if line is not None else [] for line in lines]
    boxes = [(np.concatenate(p).min(0), np.concatenate(p).max(0)) if p else None for p in polys]
    heights = [hi[1] - lo[1] for lo, hi in (b for b in boxes if b is not None)]
    positive = [h for h in heights if h > 0]
    scale = line_height / float(np.median(positive)) if positive else 1.0
    y, placed, width = margin, [], 0.0
    for p, box in zip(polys, boxes):
        if box is None:
            y += line_height
            continue
        lo, hi = box
        offset = np.array([margin, y]) - lo * scale
        placed.append([q * scale + offset for q in p])
        width = max(width, (hi[0] - lo[0]) * scale)
        y += max((hi[1] - lo[1]) * scale, 0.5 * line_height) + 0.35 * line_height
    width, height = width + 2 * margin, y - 0.35 * line_height + margin if placed else 2 * margin
    dwg = svgwrite.Drawing(filename, size=(f"{width:.0f}px", f"{height:.0f}px"),
                           viewBox=f"0 0 {width:.0f} {height:.0f}")
    if background:
        dwg.add(dwg.rect((0, 0), (f"{width:.0f}", f"{height:.0f}"), fill=background))
    for p in placed:
        _add_polylines(dwg, dwg, p, stroke_width, stroke_color)
    return dwg


def save_handwriting(lines: Sequence[ArrayLike | None], path: str | os.PathLike, **style: Any) -> str | os.PathLike:
    """handwriting_page(lines, **style) written to path; returns path."""
    return save(handwriting_page(lines, **style), path)


def _trace_panel(dwg, strokes, x, y, width, height, stroke_width, stroke_color):
    """Draw one line's strokes fitted into a box; returns (scale, offset) of the fit (screen coords)."""
    polys = handwriting_polylines(strokes)
    if not polys:
        return 1.0, np.array([x, y])
    xy = np.concatenate(polys)
    lo, hi = xy.min(0), xy.max(0)
    extent = np.maximum(hi - lo, 1e-9)
    scale = float(min(width / extent[0], height / extent[1]))
    offset = np.array([x, y]) - lo * scale
    _add_polylines(dwg, dwg, [p * scale + offset for p in polys], stroke_width, stroke_color)
    return scale, offset


def _heatmap(dwg, values, x, y, width, height, rgb=(8, 48, 107)):
    """values [rows, cols] in [0, 1] -> an embedded PNG over the box (x, y, width, height), one
    cell per value, colour rgb with the value as its opacity."""
    image = dwg.image(png_data_uri(values, rgb), insert=(_r(x), _r(y)), size=(_r(width), _r(height)))
    image["preserveAspectRatio"] = "none"
    image["style"] = "image-rendering:pixelated"
    dwg.add(image)


def _label(dwg, text, x, y, size=11, anchor="start", **extra):
    dwg.add(dwg.text(text, insert=(_r(x), _r(y)), font_size=size, font_family="sans-serif", fill="#333",
                     text_anchor=anchor, **extra))


def window_plot(strokes: ArrayLike, phi: ArrayLike, text: str, width: float = 800.0, trace_height: float = 120.0,
                row_height: float = 12.0, stroke_width: float = 1.5, stroke_color: str = "black",
                filename: str = "window.svg") -> svgwrite.Drawing:
    """Graves (2013) Fig. 13: a synthesised line above its window weights phi(t, u), time t along
    the horizontal axis and the characters u of `text` down the vertical axis.

    strokes: IAM offsets [n, 3] of the line; phi [n, U] or [n, U + 1] (the extra column, the
    position after the last character that the stopping rule watches, is drawn as 'end');
    text: the U characters. Weights are scaled by their maximum and drawn as an embedded PNG
    (one cell per step and character)."""
    phi = np.asarray(phi, np.float64)
    if phi.ndim != 2 or phi.shape[1] not in (len(text), len(text) + 1):
        raise ValueError(f"phi must be [steps, {len(text)}] or [steps, {len(text) + 1}] for a text of "
                         f"{len(text)} characters; got shape {list(phi.shape)}.")
    labels = list(text) + (["end"] if phi.shape[1] == len(text) + 1 else [])
    left, top = 40.0, 10.0
    map_top = top + trace_height + 30.0
    height = map_top + row_height * len(labels) + 30.0
    dwg = svgwrite.Drawing(filename, size=(f"{left + width + 10:.0f}px", f"{height:.0f}px"),
                           viewBox=f"0 0 {left + width + 10:.0f} {height:.0f}")
    dwg.add(dwg.rect((0, 0), ("100%", "100%"), fill="white"))
    _trace_panel(dwg, strokes, left, top, width, trace_height, stroke_width, stroke_color)
    _heatmap(dwg, (phi / max(phi.max(), 1e-12)).T, left, map_top, width, row_height * len(labels))
    for u, ch in enumerate(labels):
        _label(dwg, ch if ch != " " else "\u2423", left - 6, map_top + (u + 0.8) * row_height, size=10, anchor="end")
    dwg.add(dwg.rect((left, map_top), (_r(width), _r(row_height * len(labels))), fill="none", stroke="#999"))
    _label(dwg, "time step t \u2192", left + width / 2, height - 8, anchor="middle")
    _label(dwg, "Window weights \u03c6(t, u)", left, map_top - 8)
    return dwg


def save_window_plot(strokes: ArrayLike, phi: ArrayLike, text: str, path: str | os.PathLike,
                     **style: Any) -> str | os.PathLike:
    return save(window_plot(strokes, phi, text, **style), path)


def density_grid(centers: np.ndarray, sigma: np.ndarray, rho: np.ndarray, weights: np.ndarray, x: float, y: float,
                 width: float, height: float, cell: float) -> np.ndarray:
    """Sum of bivariate normal densities on a grid of cell x cell pixels covering the box.

    centers, sigma [K, 2], rho [K], weights [K] in pixels (y down). Each normal is widened by
    half a cell so that narrow ones still leave their mass in a cell. Returns [rows, cols]."""
    gx = x + (np.arange(int(np.ceil(width / cell))) + 0.5) * cell
    gy = y + (np.arange(max(int(np.ceil(height / cell)), 1)) + 0.5) * cell
    grid = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)
    a = sigma[:, 0] ** 2 + (cell / 2) ** 2
    d = sigma[:, 1] ** 2 + (cell / 2) ** 2
    b = rho * sigma[:, 0] * sigma[:, 1]
    det = a * d - b * b
    total = np.zeros(len(grid))
    for i in range(0, len(centers), 128):
        k = slice(i, i + 128)
        dx = grid[None, :, 0] - centers[k, None, 0]
        dy = grid[None, :, 1] - centers[k, None, 1]
        q = (d[k, None] * dx * dx - 2 * b[k, None] * dx * dy + a[k, None] * dy * dy) / det[k, None]
        total += (weights[k, None] / (2 * np.pi * np.sqrt(det[k, None])) * np.exp(-0.5 * q)).sum(0)
    return total.reshape(len(gy), len(gx))


def png_data_uri(alpha: np.ndarray, rgb: Sequence[int]) -> str:
    """alpha [rows, cols] in [0, 1] -> 'data:image/png;base64,...' of an RGBA image in one colour."""
    import base64
    import struct
    import zlib

    rows, cols = alpha.shape
    pixels = np.zeros((rows, cols, 4), np.uint8)
    pixels[..., :3] = rgb
    pixels[..., 3] = np.round(np.clip(alpha, 0.0, 1.0) * 255)
    raw = b"".join(b"\x00" + pixels[r].tobytes() for r in range(rows))  # filter type 0 per row

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", cols, rows, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def density_plot(strokes: ArrayLike, logits: ArrayLike, mu: ArrayLike, sigma: ArrayLike, rho: ArrayLike,
                 eos_prob: ArrayLike, width: float = 800.0, trace_height: float = 160.0, weights_height: float = 100.0,
                 eos_height: float = 60.0, stroke_width: float = 1.0, stroke_color: str = "black",
                 min_weight: float = 0.01, cell: float = 2.0, filename: str = "density.svg") -> svgwrite.Drawing:
    """Graves (2013) Fig. 10: the mixture density output along a sample.

    Top: the sample over a heat map of the predicted densities of its pen positions: the
    mixture of every step t (components with weight > min_weight), placed at the pen position
    before row t, summed over all steps, so that values are high where successive predictions
    overlap (as in the paper); drawn as an embedded PNG of `cell`-pixel cells, opacity the
    square root of the density relative to its 99.5th percentile.
    Middle: the mixture weights (components down, time across). Bottom: the end-of-stroke
    probability e_t, with ticks where the sample ended a stroke.

    strokes [n, 3] IAM offsets; for step t (which drew row t): logits [n, M] (log weights),
    mu, sigma [n, M, 2] and rho [n, M], in the units of the strokes (y up); eos_prob [n]."""
    s = np.asarray(strokes, np.float64).reshape(-1, 3)
    n = len(s)
    weights = np.exp(np.asarray(logits, np.float64))
    weights /= weights.sum(-1, keepdims=True)
    mu, sigma, rho = (np.asarray(a, np.float64) for a in (mu, sigma, rho))
    left, top = 40.0, 10.0
    dwg = svgwrite.Drawing(filename)
    prev = np.concatenate([[[0.0, 0.0]], np.cumsum(s[:, :2], axis=0)[:-1]])        # pen before row t
    centers = prev[:, None, :] + mu                                                   # [n, M, 2]
    shown = weights > min_weight
    xy = np.concatenate([np.cumsum(s[:, :2], axis=0), centers[shown]]) * np.array([1.0, -1.0])
    lo, hi = xy.min(0), xy.max(0)
    extent = np.maximum(hi - lo, 1e-9)
    scale = float(min(width / extent[0], trace_height / extent[1]))
    offset = np.array([left, top]) - lo * scale
    trace_height = extent[1] * scale  # the panels below follow the trace's real height
    density = density_grid(centers[shown] * np.array([1.0, -1.0]) * scale + offset, sigma[shown] * scale,
                           -rho[shown], weights[shown], left, top, width, trace_height, cell)
    if density.max() > 0:  # square-root scale, so that the wide pen-up predictions show too
        alpha = np.sqrt(np.clip(density / np.percentile(density[density > 0], 99.5), 0.0, 1.0))
        _heatmap(dwg, alpha, left, top, alpha.shape[1] * cell, alpha.shape[0] * cell, (214, 39, 40))
    polys = handwriting_polylines(s)
    _add_polylines(dwg, dwg, [p * scale + offset for p in polys], stroke_width, stroke_color)
    # Mixture weights.
    w_top = top + trace_height + 30.0
    m_count = weights.shape[1] if weights.ndim == 2 else 0
    cell_w = width / max(n, 1)
    if m_count:
        _heatmap(dwg, weights.T, left, w_top, width, weights_height)
    dwg.add(dwg.rect((left, w_top), (_r(width), _r(weights_height)), fill="none", stroke="#999"))
    _label(dwg, "Mixture weights (components \u2193)", left, w_top - 6)
    # End-of-stroke probability.
    e_top = w_top + weights_height + 30.0
    e = np.clip(np.asarray(eos_prob, np.float64).reshape(-1), 0.0, 1.0)
    if len(e):
        dwg.add(dwg.polyline([(_r(left + (t + 0.5) * cell_w), _r(e_top + (1.0 - v) * eos_height))
                              for t, v in enumerate(e)], fill="none", stroke="#1f77b4", stroke_width=1))
    ticks = dwg.g(stroke="#d62728", stroke_width=1)
    for t in np.flatnonzero(s[:, 2] > 0.5):
        x = _r(left + (t + 0.5) * cell_w)
        ticks.add(dwg.line((x, _r(e_top + eos_height)), (x, _r(e_top + eos_height + 5))))
    dwg.add(ticks)
    dwg.add(dwg.rect((left, e_top), (_r(width), _r(eos_height)), fill="none", stroke="#999"))
    _label(dwg, "End-of-stroke probability (ticks: strokes ended)", left, e_top - 6)
    _label(dwg, "1", left - 6, e_top + 8, size=9, anchor="end")
    _label(dwg, "0", left - 6, e_top + eos_height, size=9, anchor="end")
    height = e_top + eos_height + 30.0
    _label(dwg, "time step t \u2192", left + width / 2, height - 8, anchor="middle")
    dwg["width"], dwg["height"] = f"{left + width + 10:.0f}px", f"{height:.0f}px"
    dwg.viewbox(0, 0, int(left + width + 10), int(round(height)))
    dwg.elements.insert(1, dwg.rect((0, 0), ("100%", "100%"), fill="white"))
    return dwg


def save_density_plot(strokes: ArrayLike, logits: ArrayLike, mu: ArrayLike, sigma: ArrayLike, rho: ArrayLike,
                      eos_prob: ArrayLike, path: str | os.PathLike, **style: Any) -> str | os.PathLike:
    return save(density_plot(strokes, logits, mu, sigma, rho, eos_prob, **style), path)
