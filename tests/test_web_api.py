"""The web app's JSON API over real HTTP on 127.0.0.1: every route, request batching, and bad
input (each a clear JSON error, the server still serving afterwards)."""
import asyncio
import concurrent.futures
import json
import urllib.request

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from tests.web_fixtures import call, export_tiny_models, running_server  # noqa: E402
from web.batching import Batcher  # noqa: E402

DRAWING = [[[10, 10], [40, 12], [70, 30]], [[20, 60], [50, 80]]]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    runs = export_tiny_models(tmp_path_factory.mktemp("web"))
    with running_server(runs, window=0.05) as (base, service):
        yield base, service


def test_info_and_page(server):
    base, _ = server
    status, info = call(base, "/api/info")
    assert status == 200
    assert info["sketch"]["conditional"] is True  # the default: the first model
    models = [(m["name"], m["conditional"]) for m in info["sketch"]["models"]]
    assert models == [("sketch", True), ("sketch_gen", False)]
    assert info["handwriting"]["styles"] == ["tiny_hand"] and info["handwriting"]["alphabet"].startswith(" ab")
    assert set(info["text"]["characters"]) == set("to be or not that is the question\n")
    page = urllib.request.urlopen(base + "/").read().decode()
    assert "<canvas id=\"sketch-canvas\"" in page and "/static/app.js" in page
    assert "function animate" in urllib.request.urlopen(base + "/static/app.js").read().decode()


def rows_ok(rows, max_len):
    rows = np.asarray(rows, np.float64).reshape(-1, 3)
    return len(rows) <= max_len and np.isfinite(rows).all() and set(np.unique(rows[:, 2])) <= {0.0, 1.0}


def test_sketch_routes(server):
    base, _ = server
    status, out = call(base, "/api/sketch/sample", {"num_samples": 3, "temperature": 0.5, "seed": 4})
    assert status == 200 and len(out["drawings"]) == 3 and all(rows_ok(d, 30) for d in out["drawings"])
    assert call(base, "/api/sketch/sample", {"num_samples": 3, "temperature": 0.5, "seed": 4})[1] == out
    status, out = call(base, "/api/sketch/complete", {"strokes": DRAWING, "num_samples": 2, "temperature": 0.3})
    assert status == 200 and len(out["drawings"]) == 2
    start = np.asarray(out["start"])
    assert start.shape[1] == 3 and start[:, 2].sum() == 2  # two strokes, each ends with a pen lift
    status, out = call(base, "/api/sketch/reconstruct", {"strokes": DRAWING, "num_samples": 1})
    assert status == 200 and len(out["drawings"]) == 1 and len(out["input"]) == len(start)
    status, out = call(base, "/api/sketch/interpolate", {"a": DRAWING, "b": [[[0, 0], [0, 50]]], "steps": 5})
    assert status == 200 and len(out["drawings"]) == 5


def test_model_picker_routes_each_request_to_its_model(server):
    base, service = server
    status, out = call(base, "/api/sketch/sample", {"num_samples": 2, "seed": 3, "model": "sketch_gen"})
    assert status == 200 and len(out["drawings"]) == 2
    assert out != call(base, "/api/sketch/sample", {"num_samples": 2, "seed": 3, "model": "sketch"})[1]
    status, out = call(base, "/api/sketch/complete", {"strokes": DRAWING, "num_samples": 2, "model": "sketch_gen"})
    assert status == 200 and len(out["drawings"]) == 2
    # the canvas drawing is scaled to the picked model's units (its scale_factor is 20, the default's 10)
    assert np.std(np.asarray(out["start"])[:, :2]) == pytest.approx(20.0, rel=1e-4)
    status, out = call(base, "/api/sketch/reconstruct", {"strokes": DRAWING, "model": "sketch_gen"})
    assert status == 400 and "'sketch_gen' is unconditional" in out["error"]
    status, out = call(base, "/api/sketch/sample", {"model": "unicorn"})
    assert status == 400 and out["error"] == "Unknown sketch model 'unicorn'; the loaded ones are: sketch, sketch_gen."
    calls = {name: batcher.calls for name, batcher in service.decoders.items()}
    assert calls["sketch"] >= 1 and calls["sketch_gen"] >= 1


def test_canvas_drawing_is_scaled_to_the_models_units(server):
    _, service = server
    strokes = service.sketch().canvas_to_strokes([np.array([[0.0, 0.0], [300.0, 0.0], [300.0, 150.0]])])
    np.testing.assert_allclose(np.std(strokes[:, :2]), 10.0, rtol=1e-5)  # the model's scale_factor
    assert strokes[:, 2].tolist() == [0.0, 0.0, 1.0]


def test_handwriting_and_text_routes(server):
    base, _ = server
    status, out = call(base, "/api/handwriting/write", {"text": "hi there\nbold", "style": "tiny_hand", "bias": 1.0})
    assert status == 200 and out["text_lines"] == ["hi there", "bold"] and len(out["lines"]) == 2
    assert all(rows_ok(r, 40 * 8) for r in out["lines"]) and out["svg"].startswith("<svg")
    # the window trace: characters of each line in the order the window reached them (a subsequence)
    assert len(out["windows"]) == 2
    for trace, line in zip(out["windows"], out["text_lines"]):
        rest = iter(line)
        assert all(c in rest for c in trace), (trace, line)
    status, styles = call(base, "/api/handwriting/styles")
    assert status == 200 and styles["tiny_hand"]["text"] == "hi" and len(styles["tiny_hand"]["strokes"]) == 5
    own = {"text": "hello", "custom_style": {"strokes": [[[0, 50], [10, 20], [20, 60]], [[30, 30], [40, 70]]],
                                             "text": "hi"}}
    status, out = call(base, "/api/handwriting/write", own)
    assert status == 200 and len(out["lines"]) == 1
    status, out = call(base, "/api/text/generate", {"prompt": "to be", "steps": 20, "temperature": 0.7})
    assert status == 200 and out["text"].startswith("to be") and len(out["text"]) == 25


@pytest.mark.parametrize("path,body,status,message", [
    ("/api/sketch/complete", {"strokes": []}, 400, "the drawing is empty"),
    ("/api/sketch/complete", {"strokes": [[[1, 2, 3]]]}, 400, "not two finite numbers"),
    ("/api/sketch/complete", {"strokes": [[[0, 0]] * 6000]}, 413, "6000 points; at most 5000"),
    ("/api/sketch/sample", {"num_samples": 100}, 400, "num_samples: Input should be less than or equal to 16"),
    ("/api/sketch/sample", {"temperature": 0}, 400, "temperature: Input should be greater than or equal to 0.01"),
    ("/api/sketch/sample", {"colour": "red"}, 400, "colour: Extra inputs are not permitted"),
    ("/api/handwriting/write", {"text": "hello €uro"}, 400, "cannot write these characters: 'u' '€'"),
    ("/api/handwriting/write", {"text": "hi", "style": "../../etc/passwd"}, 400, "Unknown style '../../etc/passwd'"),
    ("/api/handwriting/write", {"text": "hi", "custom_style": {"strokes": [[[5, 5]]], "text": "hi"}}, 400,
     "custom_style: The drawing has 1 point"),
    ("/api/handwriting/write", {"text": "a " * 200}, 400, "String should have at most 300 characters"),
    ("/api/text/generate", {"prompt": "QQ"}, 400, "characters the model does not know: 'Q'"),
    ("/api/text/generate", {"prompt": "to", "steps": 0}, 400, "steps: Input should be greater than or equal to 1"),
])
def test_bad_input_gets_a_clear_json_error(server, path, body, status, message):
    base, _ = server
    got, out = call(base, path, body)
    assert got == status and message in out["error"], out
    assert call(base, "/api/sketch/sample", {"num_samples": 1})[0] == 200  # still serving


def test_malformed_json_nan_and_huge_bodies(server):
    base, _ = server
    status, out = call(base, "/api/sketch/sample", raw=b"{not json")
    assert status == 400 and "not valid JSON" in out["error"]
    status, out = call(base, "/api/sketch/complete", raw=b'{"strokes": [[[NaN, 1], [2, 3]]]}')
    assert status == 400 and "NaN is not a number JSON allows" in out["error"]
    status, out = call(base, "/api/sketch/sample", raw=b"[1, 2]")
    assert status == 400 and "must be a JSON object" in out["error"]
    status, out = call(base, "/api/text/generate", raw=json.dumps({"prompt": "x" * 2_000_000}).encode())
    assert status == 413 and "larger than 1,000,000 bytes" in out["error"]
    assert call(base, "/api/sketch/sample", {"num_samples": 1})[0] == 200


def test_concurrent_requests_share_one_model_call(server):
    base, service = server
    before = service.generator.calls
    prompts = ["to", "be or", "not to be th", "t"]
    with concurrent.futures.ThreadPoolExecutor(len(prompts)) as pool:
        results = list(pool.map(lambda p: call(base, "/api/text/generate", {"prompt": p, "steps": 7 + len(p)}),
                                prompts))
    assert all(status == 200 for status, _ in results)
    assert [out["text"][:len(p)] for (_, out), p in zip(results, prompts)] == prompts
    assert [len(out["text"]) for _, out in results] == [len(p) + 7 + len(p) for p in prompts]
    assert service.generator.calls - before < len(prompts)  # gathered into fewer calls than requests


def test_batcher_gathers_within_the_window_and_splits_results():
    calls = []

    def run(items):
        calls.append(list(items))
        return [item * 10 for item in items]

    async def main(window):
        batcher = Batcher(run, window=window, max_rows=3)
        results = await asyncio.gather(*(batcher.submit(i) for i in range(5)))
        batcher.close()
        return results

    assert asyncio.run(main(0.05)) == [0, 10, 20, 30, 40]
    assert calls == [[0, 1, 2], [3, 4]]  # max_rows=3 flushes early; the rest after the window
    calls.clear()
    assert asyncio.run(main(None)) == [0, 10, 20, 30, 40]
    assert len(calls) == 5  # batching off: one call each
