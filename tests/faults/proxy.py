"""A TCP relay of the tests' own between the portal and a server (PostgreSQL, S3), that a test
breaks on purpose: at an exact byte count, at a moment the test chooses, or while idle.

`stop()` is what the portal sees when the server's process dies: every open connection is closed
under it and new connections are refused (the listening socket is closed). `restore()` listens again on
the same port: the server is back. `drop_connections()` closes the open connections but keeps
listening: the server restarted while the portal was idle.
"""
from __future__ import annotations

import socket
import threading

BUFFER = 64 * 1024


def _abort(sock: socket.socket) -> None:
    """Close a connection as the kernel does for a killed process (FIN, or RST when data sent
    to it was never read), waking any thread blocked on it. What was relayed before the close
    reaches the other side in full, so a cut at a byte count is exact."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class FaultProxy:
    """Relays 127.0.0.1:<port> to `target` until told to fail."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, int(target_port))
        self.port = 0
        self.upstream_bytes = 0  # portal → server since the last `arm`
        self.downstream_bytes = 0  # server → portal since the last `arm`
        self.cut = threading.Event()  # set when an armed cut has happened
        self._cut_up: int | None = None
        self._cut_down: int | None = None
        self._outage = True
        self._lock = threading.Lock()
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def up(self) -> bool:
        return self._listener is not None

    def start(self) -> FaultProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._spawn(self._accept_loop, listener)
        return self

    def arm(self, *, upstream: int | None = None, downstream: int | None = None,
            outage: bool = True) -> None:
        """Count from zero again and stop the server once `upstream` bytes went to it, or once
        `downstream` bytes came back from it (exactly that many are relayed). With
        `outage=False` only the open connections are closed, once; the server stays up."""
        with self._lock:
            self.upstream_bytes = self.downstream_bytes = 0
            self._cut_up, self._cut_down = upstream, downstream
            self._outage = outage
            self.cut.clear()

    def _trip(self) -> None:
        with self._lock:
            outage, self._cut_up, self._cut_down = self._outage, None, None
        if outage:
            self.stop()
        else:
            self.drop_connections()
            self.cut.set()

    def stop(self) -> None:
        """The server's process is gone: open connections closed, new ones refused."""
        with self._lock:
            listener, self._listener = self._listener, None
            self._cut_up = self._cut_down = None
        if listener is not None:
            _abort(listener)
        self.drop_connections()
        self.cut.set()

    def drop_connections(self) -> None:
        """Close every open connection (the server restarted); keep accepting new ones."""
        with self._lock:
            pairs, self._pairs = self._pairs, set()
        for client, server in pairs:
            _abort(client)
            _abort(server)

    def restore(self) -> None:
        """The server is back, on the same port."""
        if self._listener is None:
            self.start()
        with self._lock:
            self._cut_up = self._cut_down = None

    def close(self) -> None:
        self.stop()
        for thread in self._threads:
            thread.join(timeout=5)

    # --- relaying -------------------------------------------------------------------------

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True,
                                  name=f"fault-proxy-{self.port}")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _addr = listener.accept()
            except OSError:
                return  # stopped
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                _abort(client)
                continue
            with self._lock:
                if self._listener is not listener:  # stopped meanwhile
                    _abort(client)
                    _abort(server)
                    return
                self._pairs.add((client, server))
            self._spawn(self._relay, client, server, True)
            self._spawn(self._relay, server, client, False)

    def _relay(self, source: socket.socket, sink: socket.socket, upstream: bool) -> None:
        while True:
            try:
                data = source.recv(BUFFER)
            except OSError:
                return
            if not data:
                try:
                    sink.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            with self._lock:
                done = self.upstream_bytes if upstream else self.downstream_bytes
                limit = self._cut_up if upstream else self._cut_down
                allowed = len(data) if limit is None else max(0, min(len(data), limit - done))
                if upstream:
                    self.upstream_bytes += allowed
                else:
                    self.downstream_bytes += allowed
            try:
                if allowed:
                    sink.sendall(data[:allowed])
            except OSError:
                return
            if allowed < len(data) or (limit is not None and done + allowed >= limit):
                self._trip()
                return
