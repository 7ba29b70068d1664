"""Handwriting figures of data_utils.svg: pages of lines, window weights (Graves Fig. 13) and
mixture densities (Fig. 10)."""
import base64
import struct
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import pytest

from data_utils import svg


def elements(path, tag):
    return [e for e in ET.parse(path).iter() if e.tag.rsplit("}", 1)[-1] == tag]


def decode_png(uri):
    """'data:image/png;base64,...' (8-bit RGBA, filter 0) -> uint8 [rows, cols, 4]."""
    data = base64.b64decode(uri.split(",", 1)[1])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    cols, rows = struct.unpack(">II", data[16:24])
    pos, idat = 8, b""
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(rows, 1 + 4 * cols)
    assert (raw[:, 0] == 0).all()
    return raw[:, 1:].reshape(rows, cols, 4)


def images(path):
    return [decode_png(e.get("{http://www.w3.org/1999/xlink}href") or e.get("href")) for e in elements(path, "image")]


def line_of(strokes_points, dx=10.0):
    """A line of handwriting as IAM offsets: strokes given by their point counts, each a zigzag."""
    rows = []
    for n in strokes_points:
        for i in range(n):
            rows.append([dx, 8.0 if i % 2 else -8.0, 1.0 if i == n - 1 else 0.0])
    rows[0][:2] = [0.0, 0.0]
    return np.array(rows, np.float32)


def test_polylines_follow_eos_and_flip_y():
    strokes = np.array([[0, 0, 0], [10, 5, 1], [5, -5, 0], [1, 1, 1], [2, 2, 1]], np.float32)
    polys = svg.handwriting_polylines(strokes)
    assert [len(p) for p in polys] == [2, 2, 1]
    np.testing.assert_allclose(polys[0], [[0, 0], [10, -5]])  # y up in the data, down on screen
    np.testing.assert_allclose(polys[2], [[18, -3]])


def test_page_stacks_lines_with_style(tmp_path):
    lines = [line_of([5, 4, 6]), None, line_of([3, 3]), line_of([7])]
    path = svg.save_handwriting(lines, str(tmp_path / "page.svg"), stroke_width=3.5, stroke_color="#a00000",
                                line_height=50.0)
    drawn = elements(path, "polyline")
    assert len(drawn) == 3 + 2 + 1
    groups = [g for g in elements(path, "g") if g.get("stroke")]
    assert len(groups) == 3 and all(g.get("stroke") == "#a00000" and g.get("stroke-width") == "3.5" for g in groups)
    tops = []
    for g in groups:  # every line sits below the previous one, the blank line adds a gap
        ys = [float(p.split(",")[1]) for e in g for p in e.get("points").split()]
        tops.append((min(ys), max(ys)))
    assert tops[0][1] < tops[1][0] and tops[1][1] < tops[2][0]
    assert tops[1][0] - tops[0][1] > 50.0  # the blank line
    root = ET.parse(path).getroot()
    assert float(root.get("height").rstrip("px")) >= tops[2][1]


def test_window_plot_shows_each_character_and_the_weights(tmp_path):
    text = "hi you"
    steps = 60
    centre = np.linspace(0.5, len(text) + 1.5, steps)
    phi = np.exp(-((np.arange(1, len(text) + 2)[None] - centre[:, None]) ** 2))  # [steps, U + 1]
    path = svg.save_window_plot(line_of([20, 20, 20]), phi, text, str(tmp_path / "window.svg"))
    labels = [e.text for e in elements(path, "text")]
    assert labels[:len(text) + 1] == ["h", "i", "\u2423", "y", "o", "u", "end"]
    (heat,) = images(path)  # one cell per (character, step), opacity phi / max phi
    assert heat.shape == (len(text) + 1, steps, 4)
    np.testing.assert_allclose(heat[..., 3] / 255.0, (phi / phi.max()).T, atol=1 / 255)
    assert (heat[..., :3] == [8, 48, 107]).all()
    with pytest.raises(ValueError, match=r"phi must be \[steps, 6\]"):
        svg.window_plot(line_of([5]), np.ones((5, 3)), text)


def test_density_plot_draws_components_weights_and_eos(tmp_path):
    rng = np.random.default_rng(0)
    n, m = 40, 3
    logits = np.log(np.tile([0.7, 0.27, 0.03], (n, 1)))
    mu = rng.normal(size=(n, m, 2)) * 5
    sigma = np.exp(rng.normal(size=(n, m, 2)))
    rho = np.tanh(rng.normal(size=(n, m)))
    strokes = line_of([10, 10, 20])
    path = svg.save_density_plot(strokes, logits, mu, sigma, rho, np.linspace(0, 1, n), str(tmp_path / "d.svg"))
    density, mixture_weights = images(path)
    np.testing.assert_allclose(mixture_weights[..., 3] / 255.0, np.tile([[0.7], [0.27], [0.03]], (1, n)),
                               atol=1 / 255)
    # The density map is brightest where the predictions pile up, at the pen positions + mu.
    alpha = density[..., 3].astype(float)
    assert alpha.max() == 255 and (alpha == 0).mean() > 0.2
    ticks = [e for e in elements(path, "line")]
    assert len(ticks) == 3  # one per stroke end
    eos_curves = [e for e in elements(path, "polyline") if e.get("stroke") == "#1f77b4"]
    assert len(eos_curves) == 1 and len(eos_curves[0].get("points").split()) == n


def test_density_grid_keeps_mass_and_peaks_at_the_means():
    centers = np.array([[30.0, 20.0], [71.0, 25.0]])
    sigma = np.array([[4.0, 2.0], [0.3, 0.2]])  # the second is narrower than a cell
    grid = svg.density_grid(centers, sigma, np.array([0.5, 0.0]), np.array([0.8, 0.2]), 0.0, 0.0, 100.0, 50.0, 2.0)
    assert grid.shape == (25, 50)
    np.testing.assert_allclose(grid.sum() * 2.0 * 2.0, 1.0, rtol=1e-2)  # total weight 0.8 + 0.2
    left, right = grid[:, :25], grid[:, 25:]
    np.testing.assert_allclose(left.sum() * 4.0, 0.8, rtol=1e-2)
    row, col = np.unravel_index(np.argmax(right), right.shape)
    assert (row, col + 25) == (12, 35)  # the cell centred on (71, 25)
