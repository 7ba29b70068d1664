"""Tiny SavedModels of all three models and a server on 127.0.0.1, for the web tests."""
import contextlib
import dataclasses
import json
import socket
import threading
import time
import urllib.error
import urllib.request

import numpy as np

ALPHABET = list(" abdehilnorstw")
TEXT = "to be or not to be that is the question\n" * 3


def export_tiny_models(folder):
    """Untrained tiny models exported as SavedModels (with a style file): {name: run dir}; "sketch"
    is conditional, "sketch_gen" decoder-only (the page's model picker offers both)."""
    from char_rnn.config import CharRNNConfig
    from char_rnn.export import export_saved_model as export_char
    from char_rnn.model import build_model as build_char
    from data_utils.handwriting_style import Style
    from data_utils.text import Vocabulary
    from handwriting.config import HandwritingConfig
    from handwriting.export import export_saved_model as export_handwriting
    from handwriting.model import build_model as build_handwriting
    from sketch_rnn.config import SketchRNNConfig
    from sketch_rnn.export import export_saved_model as export_sketch
    from sketch_rnn.model import build_model as build_sketch

    runs = {name: folder / name for name in ("sketch", "sketch_gen", "handwriting", "text")}
    sketch = SketchRNNConfig(enc_rnn_size=8, dec_rnn_size=12, z_size=4, num_mixture=2, max_seq_len=30,
                             scale_factor=10.0)
    export_sketch(build_sketch(sketch, compile=False), str(runs["sketch"] / "saved_model"))
    gen = dataclasses.replace(sketch, conditional=False, scale_factor=20.0)
    export_sketch(build_sketch(gen, compile=False), str(runs["sketch_gen"] / "saved_model"))
    handwriting = HandwritingConfig(num_layers=1, rnn_size=8, num_mixture=2, num_window=2, chars=ALPHABET,
                                    offset_stats={"mean": [5.0, 0.0], "std": [20.0, 20.0], "clip": 20.0})
    export_handwriting(build_handwriting(handwriting, compile=False), str(runs["handwriting"] / "saved_model"))
    (runs["handwriting"] / "styles").mkdir()
    Style(strokes=np.array([[0, 0, 0], [20, 5, 0], [15, -3, 1], [40, 0, 0], [10, 10, 1]], np.float32),
          text="hi").save(runs["handwriting"] / "styles" / "tiny_hand.json")
    vocabulary = Vocabulary.from_text(TEXT)
    text = CharRNNConfig(vocab_size=len(vocabulary), rnn_size=8, embedding_size=4, num_layers=1)
    export_char(build_char(text, compile=False), vocabulary, str(runs["text"] / "saved_model"))
    return runs


@contextlib.contextmanager
def running_server(runs, window=0.005):
    """A uvicorn server on 127.0.0.1 (a free port) serving the runs (every sketch run of runs["sketch"], a
    folder or a list, and runs["sketch_gen"] when there); yields (base URL, service)."""
    import uvicorn

    from serve import load_service
    from web import server as web_server
    from web.api import create_app

    sketches = runs["sketch"] if isinstance(runs["sketch"], list) else [runs["sketch"]]
    sketches = [str(p) for p in sketches + ([runs["sketch_gen"]] if "sketch_gen" in runs else [])]
    service = load_service({"sketch": sketches, "handwriting": [runs["handwriting"]], "text": [runs["text"]]},
                           window=window)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(web_server.config(create_app(service)))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", service
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def call(base, path, body=None, raw=None):
    """POST (body or raw bytes) or GET -> (status, parsed JSON)."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
