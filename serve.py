"""Serve the web page: python serve.py [--port 8000] [--host 127.0.0.1] [--sketch_run DIR ...]
[--handwriting_run DIR] [--char_run DIR] [--styles_dir DIR] [--no_batching].

Each --*_run is a run directory made by train.py or convert.py (it holds saved_model/) or a
SavedModel folder made by sample.py --export_dir; by default the newest run of the model under
runs/, else the model shipped in pretrained/. --sketch_run may be given several times: the page
offers every one in its model picker (default: the newest sketch run, if any, and every shipped
sketch model). The server binds 127.0.0.1 unless --host says otherwise. Needs the `web` extra:
pip install -e '.[web]'.
"""
from run_utils.quiet import silence_tensorflow

silence_tensorflow()  # before anything imports TensorFlow

import sys  # noqa: E402

from absl import app, flags  # noqa: E402

from run_utils.cli import run_main  # noqa: E402
from run_utils.rundir import newest_run, run_for_sampling, shipped_runs  # noqa: E402

flags.DEFINE_string("host", "127.0.0.1", "Address to listen on (127.0.0.1: this machine only; 0.0.0.0: everyone "
                    "who can reach it).")
flags.DEFINE_integer("port", 8000, "Port to listen on.")
flags.DEFINE_multi_string("sketch_run", [], "Sketch-RNN run directory or SavedModel; several times for several "
                          "models in the page's picker (default: the newest run and every shipped sketch model).")
flags.DEFINE_string("handwriting_run", None, "Handwriting synthesis run directory or SavedModel (default: newest "
                    "run, else shipped).")
flags.DEFINE_string("char_run", None, "Char-RNN run directory or SavedModel (default: newest run, else shipped).")
flags.DEFINE_string("styles_dir", None, "Folder of handwriting style files (*.json) offered on the page (default: "
                    "the handwriting run's styles/).")
flags.DEFINE_bool("no_batching", False, "Run every request alone instead of gathering concurrent ones (for "
                  "comparison).")
flags.DEFINE_float("batch_window_ms", 5.0, "How long a request waits for others to share its model call.")


def default_sketch_runs():
    """The newest trained sketch run (if any) and every shipped sketch model."""
    try:
        newest = [newest_run("sketch_rnn")]
    except FileNotFoundError:
        newest = []
    return newest + shipped_runs("sketch_rnn")


def load_sketches(paths, loader):
    """[SketchModel] of the given runs (all of them, or an error), names made unique for the picker."""
    sketches = []
    for path in paths:
        model = loader(path)
        names = {s.name for s in sketches}
        base, k = model.name, 2
        while model.name in names:
            model.name, k = f"{base}-{k}", k + 1
        sketches.append(model)
        print(f"sketch: {model.name}: {model.path}", flush=True)
    return sketches


def load_service(sketch_runs, handwriting_run, char_run, styles_dir=None, window=0.005):
    """A web.api.Service with every model that can be found; says which were loaded. sketch_runs: a
    run directory or a list of them (empty: default_sketch_runs)."""
    from web import models
    from web.service import Service

    loaded = {}
    given = [sketch_runs] if isinstance(sketch_runs, str) else list(sketch_runs or [])
    try:
        sketches = load_sketches(given or default_sketch_runs(), models.load_sketch)
    except (FileNotFoundError, models.ModelError) as e:
        if given:  # asked for by name: an error, not a skip
            raise
        print(f"sketch: not served ({e})", flush=True)
        sketches = []
    if sketches:
        loaded["sketches"] = sketches
    for key, model, path, loader in (("handwriting", "handwriting", handwriting_run,
                                      lambda p: models.load_handwriting(p, styles_dir)),
                                     ("text", "char_rnn", char_run, models.load_text)):
        try:
            loaded[key] = loader(run_for_sampling(model, path))
            print(f"{key}: {loaded[key].path}", flush=True)
        except (FileNotFoundError, models.ModelError) as e:
            if path:  # asked for by name: an error, not a skip
                raise
            print(f"{key}: not served ({e})", flush=True)
    if not loaded:
        raise FileNotFoundError("No model to serve: train one, or pass --sketch_run / --handwriting_run / --char_run.")
    return Service(**loaded, window=window)


def serve(f):
    try:
        from web import server
        from web.api import create_app
    except ImportError as e:
        raise RuntimeError(f"The web server needs the web extra ({e}): pip install -e '.[web]'") from None
    service = load_service(f.sketch_run, f.handwriting_run, f.char_run, f.styles_dir,
                           None if f.no_batching else f.batch_window_ms / 1000.0)
    print(f"Serving on http://{f.host}:{f.port}/ (Ctrl-C to stop)", flush=True)
    server.run(create_app(service), f.host, f.port)


def main(argv):
    run_main(argv, serve)


def run():
    """Console entry point (rnngen-serve)."""
    app.run(main)


if __name__ == "__main__":
    sys.exit(run())
