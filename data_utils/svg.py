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

import numpy as np
import svgwrite

from data_utils.strokes import strokes_to_lines

# One colour per stroke (cycled) when color_strokes=True.
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]


def fit_lines(lines, x, y, width, height, padding=0.0):
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


def drawing_group(dwg, strokes, x=0.0, y=0.0, width=100.0, height=100.0, color="black", color_strokes=False,
                  stroke_width=1.5, padding=5.0):
    """Add one drawing to dwg as a <g> of polylines fitted into the box; returns the group."""
    group = dwg.g(fill="none", stroke_linecap="round", stroke_linejoin="round", stroke_width=stroke_width)
    lines = strokes_to_lines(np.asarray(strokes, np.float64).reshape(-1, 3))
    for k, line in enumerate(fit_lines(lines, x, y, width, height, padding)):
        stroke = PALETTE[k % len(PALETTE)] if color_strokes else color
        group.add(dwg.polyline(_points(line), stroke=stroke))
    dwg.add(group)
    return group


def grid(drawings, cols=None, cell_size=120, captions=None, color="black", color_strokes=False,
         stroke_width=1.5, padding=8.0, caption_size=11, background="white", filename="drawing.svg"):
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


def draw(strokes, size=200, **style):
    """One drawing fitted into a size x size picture (style: as grid)."""
    return grid([strokes], cols=1, cell_size=size, **style)


def pairs(originals, reconstructions, captions=("original", "reconstruction"), **style):
    """Two columns, one row per pair: originals[i] | reconstructions[i]."""
    if len(originals) != len(reconstructions):
        raise ValueError(f"{len(originals)} originals but {len(reconstructions)} reconstructions.")
    cells = [d for pair in zip(originals, reconstructions) for d in pair]
    labels = list(captions) * len(originals) if captions else None
    return grid(cells, cols=2, captions=labels, **style)


def row(drawings, captions=None, **style):
    """All drawings in one row (e.g. an interpolation between the first and the last)."""
    return grid(drawings, cols=max(1, len(drawings)), captions=captions, **style)


def save(dwg, path):
    """Write an svgwrite.Drawing to path (folders created); returns path."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    dwg.saveas(path)
    return path


def save_grid(drawings, path, cols=None, **style):
    """grid(drawings, cols, **style) written to path; returns path."""
    return save(grid(drawings, cols=cols, **style), path)
