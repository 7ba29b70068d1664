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

import functools  # noqa: E402
import sys  # noqa: E402

from absl import app, flags  # noqa: E402

from run_utils import registry  # noqa: E402
from run_utils.cli import run_main  # noqa: E402
from run_utils.rundir import newest_run, run_for_sampling, shipped_runs  # noqa: E402

# The page's tabs (ModelSpec.web) and the flag that names the runs each serves; the sketch tab has a
# model picker and serves every run given, the others the first.
RUN_FLAGS = {"sketch": "sketch_run", "handwriting": "handwriting_run", "text": "char_run"}
PICKER = ("sketch",)

flags.DEFINE_string("host", "127.0.0.1", "Address to listen on (127.0.0.1: this machine only; 0.0.0.0: everyone "
                    "who can reach it).")
flags.DEFINE_integer("port", 8000, "Port to listen on.")
for _spec in (s for s in registry.specs() if s.web in RUN_FLAGS):  # a model without a tab is not served
    flags.DEFINE_multi_string(
        RUN_FLAGS[_spec.web], [], f"{_spec.name} run directory or SavedModel for the page's {_spec.web} tab "
        + ("(several times: several models in its picker; default: the newest run and every shipped model)."
           if _spec.web in PICKER else "(default: the newest run, else the shipped model)."))
flags.DEFINE_string("styles_dir", None, "Folder of handwriting style files (*.json) offered on the page (default: "
                    "the handwriting run's styles/).")
flags.DEFINE_bool("no_batching", False, "Run every request alone instead of gathering concurrent ones (for "
                  "comparison).")
flags.DEFINE_float("batch_window_ms", 5.0, "How long a request waits for others to share its model call.")


def default_runs(spec):
    """The newest trained run of the model and, for a tab with a picker, every shipped model; else
    the newest run or the shipped one."""
    if spec.web not in PICKER:
        return [run_for_sampling(spec.name)]
    try:
        newest = [newest_run(spec.name)]
    except FileNotFoundError:
        newest = []
    return newest + shipped_runs(spec.name)


def load_models(kind, paths, loader):
    """The web models of the given runs (all of them, or an error), names made unique for a picker."""
    loaded = []
    for path in paths:
        model = loader(path)
        if hasattr(model, "name"):
            names = {m.name for m in loaded}
            base, k = model.name, 2
            while model.name in names:
                model.name, k = f"{base}-{k}", k + 1
        loaded.append(model)
        print(f"{kind}: {getattr(model, 'name', '')}{': ' if hasattr(model, 'name') else ''}{model.path}", flush=True)
    return loaded


def load_service(runs=None, styles_dir=None, window=0.005):
    """A web.service.Service with every model that can be found; says which were loaded. runs: {tab
    (ModelSpec.web): [run directory, ...]}; a tab without runs gets default_runs."""
    from web import models
    from web.service import Service

    runs = runs or {}
    loaded = {}
    for spec in (s for s in registry.specs() if s.web in RUN_FLAGS):
        given = [str(p) for p in runs.get(spec.web) or []]
        loader = spec.load("web_loader")
        if spec.web == "handwriting":
            loader = functools.partial(loader, styles_dir=styles_dir)
        try:
            paths = given or default_runs(spec)
            loaded[spec.web] = load_models(spec.web, paths if spec.web in PICKER else paths[:1], loader)
        except (FileNotFoundError, models.ModelError) as e:
            if given:  # asked for by name: an error, not a skip
                raise
            print(f"{spec.web}: not served ({e})", flush=True)
    if not any(loaded.values()):
        raise FileNotFoundError("No model to serve: train one, or pass --sketch_run / --handwriting_run / --char_run.")
    return Service(sketches=loaded.get("sketch", []), handwriting=(loaded.get("handwriting") or [None])[0],
                   text=(loaded.get("text") or [None])[0], window=window)


def serve(f):
    try:
        from web import server
        from web.api import create_app
    except ImportError as e:
        raise RuntimeError(f"The web server needs the web extra ({e}): pip install -e '.[web]'") from None
    service = load_service({kind: f[name].value for kind, name in RUN_FLAGS.items()}, f.styles_dir,
                           None if f.no_batching else f.batch_window_ms / 1000.0)
    server.run(create_app(service), f.host, f.port)


def main(argv):
    run_main(argv, serve)


def run():
    """Console entry point (rnngen-serve)."""
    app.run(main)


if __name__ == "__main__":
    sys.exit(run())
