"""SVG output parses as XML, has one polyline per stroke, fits its cells, and lays out grids/pairs/rows."""
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from data_utils import svg
from data_utils.strokes import lines_to_strokes

NS = "{http://www.w3.org/2000/svg}"


def parse(dwg):
    return ET.fromstring(dwg.tostring())


def polylines(root):
    return [[tuple(map(float, p.split(","))) for p in e.get("points").split()] for e in root.iter(NS + "polyline")]


def square(size=10.0, at=(0.0, 0.0)):
    x, y = at
    return np.array([[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]])


DRAWINGS = [
    lines_to_strokes([square(), square(4, (20, 20))]),        # 2 strokes
    lines_to_strokes([square(300, (-50, 900))]),               # 1 stroke, other units
    lines_to_strokes([square(), [[3.0, 3.0]], square(2)]),     # 3 strokes, one a single point
]


def test_one_drawing_fits_its_viewbox():
    root = parse(svg.draw(DRAWINGS[0], size=200, padding=10))
    assert root.get("viewBox") == "0 0 200 200"
    lines = polylines(root)
    assert len(lines) == 2
    xy = np.array([p for line in lines for p in line])
    # the drawing spans 24 x 24 units; scaled uniformly into 180 x 180 and centred
    np.testing.assert_allclose([xy.min(), xy.max()], [10, 190], atol=0.01)
    np.testing.assert_allclose(np.array(lines[0][1]) - lines[0][0], [75, 0], atol=0.01)


def test_grid_layout_captions_and_colours(tmp_path):
    dwg = svg.grid(DRAWINGS, cols=2, cell_size=100, captions=["a", "", "c"], color_strokes=True, stroke_width=3)
    root = parse(dwg)
    assert root.get("viewBox") == f"0 0 200 {2 * (100 + 11 * 1.6):g}"
    groups = [g for g in root.iter(NS + "g")]
    assert [len(list(g.iter(NS + "polyline"))) for g in groups] == [2, 1, 3]
    assert all(g.get("stroke-width") == "3" for g in groups)
    assert [t.text for t in root.iter(NS + "text")] == ["a", "c"]
    colours = [e.get("stroke") for e in groups[2].iter(NS + "polyline")]
    assert colours == svg.PALETTE[:3]
    dot = polylines(root)[4]
    assert len(dot) == 2 and dot[0] == dot[1]  # a one-point stroke is drawn as a dot
    cell_h = 100 + 11 * 1.6
    for k, g in enumerate(groups):  # every drawing stays inside its own cell
        xy = np.array([tuple(map(float, p.split(","))) for e in g.iter(NS + "polyline")
                       for p in e.get("points").split()])
        col, row = k % 2, k // 2
        assert xy[:, 0].min() >= col * 100 and xy[:, 0].max() <= (col + 1) * 100
        assert xy[:, 1].min() >= row * cell_h and xy[:, 1].max() <= row * cell_h + 100
    path = svg.save_grid(DRAWINGS, str(tmp_path / "out" / "grid.svg"), cols=3)
    saved = ET.parse(path).getroot()
    assert len(list(saved.iter(NS + "polyline"))) == 6 and saved.get("viewBox") == "0 0 360 120"
    with pytest.raises(ValueError, match="2 captions for 3 drawings"):
        svg.grid(DRAWINGS, captions=["a", "b"])


def test_pairs_row_and_edge_cases():
    root = parse(svg.pairs(DRAWINGS[:2], DRAWINGS[1:], cell_size=50))
    assert root.get("viewBox").startswith("0 0 100 ")
    assert [t.text for t in root.iter(NS + "text")] == ["original", "reconstruction"] * 2
    assert len(polylines(root)) == 2 + 1 + 1 + 3
    row = parse(svg.row(DRAWINGS, cell_size=40))
    assert row.get("viewBox") == "0 0 120 40"
    empty = parse(svg.grid([np.zeros((0, 3)), np.array([[5.0, 5.0, 1.0]])]))  # nothing / a single point
    assert len(polylines(empty)) == 1
    with pytest.raises(ValueError, match="2 originals but 1 reconstructions"):
        svg.pairs(DRAWINGS[:2], DRAWINGS[:1])
