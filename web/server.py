"""How the app is served: uvicorn with guards against slow and idle clients.

uvicorn closes a keep-alive connection that stays idle after a response (timeout_keep_alive), but
not one that sends half a request and waits: 20,000 such sockets exhaust the file descriptors and
real users time out. GuardedH11Protocol gives every request HEADER_TIMEOUT_S to arrive completely
(from the connection's start, and again after each response), and caps the open connections: a new
connection beyond MAX_CONNECTIONS closes the one that has waited longest without sending a whole
request. A request being answered is never closed by either guard.
"""
import asyncio

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 10.0
KEEP_ALIVE_S = 5.0
MAX_CONNECTIONS = 512


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request to arrive and a cap on connections."""

    header_timeout = HEADER_TIMEOUT_S
    max_connections = MAX_CONNECTIONS

    @property
    def waiting(self) -> dict:
        """This server's connections waiting for a request, oldest first (a dict used as an ordered set)."""
        return self.server_state.__dict__.setdefault("rnngen_waiting", {})

    def connection_made(self, transport):
        super().connection_made(transport)
        self._header_timer = None
        self._wait_for_request()
        excess = sum(not c.transport.is_closing() for c in self.connections) - self.max_connections
        for oldest in [c for c in self.waiting if c is not self][:max(0, excess)]:
            oldest._close_idle()

    def _wait_for_request(self):
        self._cancel_header_timer()
        self.waiting[self] = None
        self._header_timer = self.loop.call_later(self.header_timeout, self._close_idle)

    def _cancel_header_timer(self):
        self.waiting.pop(self, None)
        if getattr(self, "_header_timer", None) is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _close_idle(self):
        self._cancel_header_timer()
        if self.cycle is None or self.cycle.response_complete:  # never one being answered
            self.transport.close()

    def data_received(self, data):
        cycle = self.cycle
        super().data_received(data)
        if self.cycle is not cycle:  # a whole request arrived: it is being answered
            self._cancel_header_timer()

    def on_response_complete(self):
        super().on_response_complete()
        if not self.transport.is_closing():
            self._wait_for_request()

    def connection_lost(self, exc):
        self._cancel_header_timer()
        super().connection_lost(exc)


def config(app, host: str = "127.0.0.1", port: int = 8000, **kwargs) -> uvicorn.Config:
    """The uvicorn configuration serve.py and the tests use."""
    return uvicorn.Config(app, host=host, port=port, http=GuardedH11Protocol, timeout_keep_alive=KEEP_ALIVE_S,
                          log_level="warning", **kwargs)


def run(app, host: str, port: int) -> None:
    """Serve app on host:port until Ctrl-C; a port in use is a one-line error naming --port."""
    import errno
    import socket
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise RuntimeError(f"Port {port} on {host} is in use (another serve.py?): stop that server or pass "
                               f"another port, e.g. --port={port + 1}.") from None
        raise RuntimeError(f"Cannot listen on {host}:{port} ({e.strerror}); check --host and --port.") from None
    print(f"Serving on http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    server = uvicorn.Server(config(app, host, port))
    asyncio.run(server.serve(sockets=[sock]))
