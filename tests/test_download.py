"""The downloader and resolve_dataset against a local HTTP server on 127.0.0.1 (no internet):
success with progress, caching, atomicity (nothing left after an error or Ctrl-C), clear messages."""
import glob
import http.server
import io
import os
import socket
import threading

import numpy as np
import pytest

from data_utils import sketch_data as SD
from fileio.download import DownloadError, download


class Handler(http.server.BaseHTTPRequestHandler):
    files = {}   # path -> bytes
    hits = []

    def do_GET(self):
        Handler.hits.append(self.path)
        if self.path == "/truncated.npz":  # promises more bytes than it sends, then hangs up
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"PK\x03\x04" + b"\0" * 1000)
            return
        body = Handler.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("served")
    rng = np.random.default_rng(0)
    drawings = [np.column_stack([rng.integers(-9, 10, (n, 2)), np.eye(1, n, n - 1)[0]]) for n in (4, 6, 3)]
    good = SD.write_npz(str(folder / "tiny.npz"), drawings, drawings[:1], drawings[1:])
    Handler.files = {"/tiny.npz": open(good, "rb").read(), "/The%20Eiffel%20Tower.npz": open(good, "rb").read(),
                     "/junk.npz": b"this is not a zip file" * 100}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def leftovers(folder):
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(folder, "*")) +
                  glob.glob(os.path.join(folder, ".*")))


def test_download_success_with_progress(server, tmp_path):
    out = io.StringIO()
    dest = str(tmp_path / "sub" / "tiny.npz")
    assert download(f"{server}/tiny.npz", dest, verify=SD.load_npz, progress=out) == dest
    assert open(dest, "rb").read() == Handler.files["/tiny.npz"]
    size = len(Handler.files["/tiny.npz"])
    text = out.getvalue()
    assert text.startswith("tiny.npz: ") and text.endswith("\n")  # not a terminal: whole lines
    assert f"{size / 1024:.1f} KB / {size / 1024:.1f} KB (100%)" in text and "/s" in text
    assert leftovers(tmp_path / "sub") == ["tiny.npz"]


def test_http_404(server, tmp_path):
    dest = str(tmp_path / "missing.npz")
    with pytest.raises(DownloadError, match=rf"{server}/missing.npz: the server answered HTTP 404 .*put it at {dest}"):
        download(f"{server}/missing.npz", dest, progress=None)
    assert leftovers(tmp_path) == []


def test_connection_refused(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/cat.npz"
    with pytest.raises(DownloadError, match=rf"Could not download {url} \(.*refused.*\); are you offline\? "
                                            rf"Download it yourself .*curl -L -o"):
        download(url, str(tmp_path / "cat.npz"), progress=None)
    assert leftovers(tmp_path) == []


def test_truncated_and_corrupt_payloads_leave_nothing(server, tmp_path):
    with pytest.raises(DownloadError, match=r"cut off after 1004 of 100000 bytes; nothing was saved"):
        download(f"{server}/truncated.npz", str(tmp_path / "t.npz"), progress=None)
    with pytest.raises(DownloadError, match=r"junk.npz is not usable \(.*not a valid .npz"):
        download(f"{server}/junk.npz", str(tmp_path / "j.npz"), verify=SD.load_npz, progress=None)
    assert leftovers(tmp_path) == []


def test_ctrl_c_leaves_nothing(server, tmp_path):
    class Interrupting(io.StringIO):
        def write(self, text):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download(f"{server}/tiny.npz", str(tmp_path / "tiny.npz"), progress=Interrupting())
    assert leftovers(tmp_path) == []


def test_ctrl_c_is_one_line_naming_the_url(server, tmp_path, monkeypatch, capsys):
    """Ctrl-C during a download is a DownloadInterrupted (a DownloadError, which the CLIs print as one
    line, and still a KeyboardInterrupt) naming the URL and that nothing was saved; nothing is left."""
    from fileio.download import DownloadInterrupted
    from fileio.progress import Progress
    from run_utils.cli import run_main

    def interrupt(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Progress, "update", interrupt)
    url, dest = f"{server}/tiny.npz", str(tmp_path / "tiny.npz")
    with pytest.raises(DownloadInterrupted) as e:
        download(url, dest, progress=io.StringIO())
    assert isinstance(e.value, DownloadError) and isinstance(e.value, KeyboardInterrupt)
    assert f"Download of {url} was interrupted (Ctrl-C); nothing was saved at {dest}." in str(e.value)
    assert leftovers(tmp_path) == []
    # the data set resolver keeps it an interruption; the CLIs print one line, no traceback
    monkeypatch.delenv("RNNGEN_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_:
        run_main(["train.py"], lambda flags: SD.resolve_dataset("tiny", str(tmp_path / "data"), base_url=server,
                                                                 progress=None))
    err = capsys.readouterr().err
    assert exit_.value.code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"Error: Data set 'tiny' is not in {tmp_path / 'data'}. Download of {server}/tiny.npz "
                          "was interrupted (Ctrl-C); nothing was saved")
    monkeypatch.setenv(SD.URL_ENV, server)
    assert SD.main(["download", "tiny", "--data_dir", str(tmp_path / "data")]) == 1  # the data CLI too
    assert "was interrupted (Ctrl-C); nothing was saved" in capsys.readouterr().err
    assert leftovers(tmp_path / "data") == []


def test_resolve_dataset_downloads_once(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(SD.URL_ENV, server)
    path = SD.resolve_dataset("tiny", str(tmp_path / "data"))
    assert path == str(tmp_path / "data" / "tiny.npz")
    assert "100%" in capsys.readouterr().err
    assert [len(v) for v in SD.load_npz(path).values()] == [3, 1, 2]
    hits = len(Handler.hits)
    assert SD.resolve_dataset("tiny", str(tmp_path / "data")) == path  # cached: no request
    assert len(Handler.hits) == hits
    monkeypatch.delenv(SD.URL_ENV)
    spaced = SD.resolve_dataset("The Eiffel Tower", str(tmp_path / "data"), base_url=server, progress=None)
    assert spaced == str(tmp_path / "data" / "The Eiffel Tower.npz") and Handler.hits[-1] == "/The%20Eiffel%20Tower.npz"
    with pytest.raises(DownloadError, match=r"Data set 'nosuch' is not in .*data\. Could not download "
                                            rf"{server}/nosuch.npz: the server answered HTTP 404"):
        SD.resolve_dataset("nosuch", str(tmp_path / "data"), base_url=server, progress=None)
    assert leftovers(tmp_path / "data") == ["The Eiffel Tower.npz", "tiny.npz"]


def test_quickdraw_404_hint(monkeypatch, tmp_path):
    """A wrong category name from the real QuickDraw URL gets the category list hint (download mocked)."""
    def not_found(url, dest, **kwargs):
        raise DownloadError(f"Could not download {url}: the server answered HTTP 404 Not Found.")

    monkeypatch.delenv(SD.URL_ENV, raising=False)
    monkeypatch.setattr(SD, "download", not_found)
    with pytest.raises(DownloadError, match=r"quickdraw_dataset/sketchrnn/catt.npz: .*404.*'catt' is not a "
                                            r"QuickDraw category: names are as in .*categories.txt"):
        SD.resolve_dataset("catt", str(tmp_path))
