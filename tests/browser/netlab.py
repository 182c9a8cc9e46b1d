"""A guardian's phone on a bad network, for real-browser tests (root, Linux only).

- `GuardianNet`: a network namespace joined to this host by a veth pair, its link shaped with
  `tc tbf` both ways (this kernel has no `netem`), its UDP filtered with nftables, and a
  Chromium wrapper that starts the browser inside it.
- `UdpRelay`: the delay and loss `netem` would add, in user space: datagrams between the
  namespace and the media service wait `delay` seconds each way and `loss` of them are dropped.
"""
from __future__ import annotations

import heapq
import os
import random
import select
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

RELAY_PORTS = range(20100, 20400)  # outside Linux's ephemeral range (aiortc's own ports)


def require_netlab(*tools: str) -> None:
    """Skip, saying why, when this machine cannot build the namespace."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (CI runs as root)")
    for tool in ("ip", "tc", *tools):
        if shutil.which(tool) is None:
            pytest.skip(f"`{tool}` is not installed (CI installs it)")


def _run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, text=True)


class GuardianNet:
    """Namespace `name` at 10.<a>.<b>.2, reaching this host at 10.<a>.<b>.1."""

    def __init__(self, tmp: Path) -> None:
        tag = f"{os.getpid() % 60000:05d}"
        self.ns = f"wl{tag}"
        self.host_if, self.ns_if = f"wl{tag}h", f"wl{tag}g"
        second, third = 100 + os.getpid() % 100, (os.getpid() // 100) % 250 + 1
        self.host_ip, self.ns_ip = f"10.{second}.{third}.1", f"10.{second}.{third}.2"
        self.tmp = tmp
        self.chromium_wrapper = tmp / "chromium-in-namespace"

    def __enter__(self) -> GuardianNet:  # noqa: PYI034
        self.close()
        _run("ip", "netns", "add", self.ns)
        _run("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
        _run("ip", "link", "set", self.ns_if, "netns", self.ns)
        _run("ip", "addr", "add", f"{self.host_ip}/24", "dev", self.host_if)
        _run("ip", "link", "set", self.host_if, "up")
        self.exec("ip", "addr", "add", f"{self.ns_ip}/24", "dev", self.ns_if)
        self.exec("ip", "link", "set", self.ns_if, "up")
        self.exec("ip", "link", "set", "lo", "up")
        chromium = shutil.which("chromium") or "/usr/bin/chromium"
        self.chromium_wrapper.write_text(
            f'#!/bin/sh\nexec ip netns exec {self.ns} {chromium} "$@"\n')
        self.chromium_wrapper.chmod(0o755)
        return self

    def exec(self, *args: str) -> None:
        """Run a command inside the namespace."""
        _run("ip", "netns", "exec", self.ns, *args)

    def shape(self, kbit: int) -> None:
        """Limit the link to `kbit` kbit/s each way (tbf; a burst of about 30 ms)."""
        burst = max(1600, kbit * 1000 // 8 // 30)
        for prefix, dev in ((("tc",), self.host_if), (("ip", "netns", "exec", self.ns, "tc"),
                                                      self.ns_if)):
            subprocess.run([*prefix, "qdisc", "del", "dev", dev, "root"], capture_output=True,
                           check=False)
            _run(*prefix, "qdisc", "add", "dev", dev, "root", "tbf", "rate", f"{kbit}kbit",
                 "burst", str(burst), "latency", "200ms")

    def only_udp_through(self, ports: range) -> None:
        """Inside the namespace, drop UDP from the host except from `ports` (the relays), so
        media can only take the relayed, delayed and lossy path."""
        self.exec("nft", "add", "table", "inet", "lab")
        self.exec("nft", "add", "chain", "inet", "lab", "in",
                  "{ type filter hook input priority 0; }")
        self.exec("nft", "add", "rule", "inet", "lab", "in", "ip", "saddr", self.host_ip,
                  "udp", "sport", "!=", f"{ports.start}-{ports.stop - 1}", "drop")

    def block_udp(self) -> None:
        """Inside the namespace, drop every UDP datagram going out."""
        self.exec("nft", "add", "table", "inet", "block")
        self.exec("nft", "add", "chain", "inet", "block", "out",
                  "{ type filter hook output priority 0; }")
        self.exec("nft", "add", "rule", "inet", "block", "out", "meta", "l4proto", "udp",
                  "drop")

    def close(self) -> None:
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True, check=False)

    def __exit__(self, *exc) -> None:
        self.close()


class UdpRelay:
    """Forwards datagrams arriving at (listen_ip, port) to `target` and the answers back,
    each held `delay` seconds and each dropped with probability `loss`."""

    def __init__(self, listen_ip: str, target: tuple[str, int], delay: float, loss: float,
                 seed: int = 7) -> None:
        self.target = target
        self.delay, self.loss = delay, loss
        self._random = random.Random(seed)
        self.listen = self._bind(listen_ip)
        self.port = self.listen.getsockname()[1]
        self._upstream: dict[tuple, socket.socket] = {}  # client address → its socket
        self._client_of: dict[socket.socket, tuple] = {}
        self._queue: list = []  # (due, n, socket, data, address)
        self._n = 0
        self.forwarded = self.dropped = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _bind(ip: str) -> socket.socket:
        for port in RELAY_PORTS:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.bind((ip, port))
                return sock
            except OSError:
                sock.close()
        raise RuntimeError("no free relay port")

    def _later(self, sock: socket.socket, data: bytes, address: tuple) -> None:
        if self._random.random() < self.loss:
            self.dropped += 1
            return
        self._n += 1
        heapq.heappush(self._queue, (time.monotonic() + self.delay, self._n, sock, data,
                                     address))

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            while self._queue and self._queue[0][0] <= now:
                _, _, sock, data, address = heapq.heappop(self._queue)
                try:
                    sock.sendto(data, address)
                    self.forwarded += 1
                except OSError:
                    pass
            wait = min(0.05, max(0.0, self._queue[0][0] - now)) if self._queue else 0.05
            readable, _, _ = select.select([self.listen, *self._client_of], [], [], wait)
            for sock in readable:
                try:
                    data, address = sock.recvfrom(65536)
                except OSError:
                    continue
                if sock is self.listen:
                    upstream = self._upstream.get(address)
                    if upstream is None:
                        upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                        upstream.bind((self.target[0], 0))
                        self._upstream[address] = upstream
                        self._client_of[upstream] = address
                    self._later(upstream, data, self.target)
                else:
                    self._later(self.listen, data, self._client_of[sock])

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for sock in [self.listen, *self._client_of]:
            sock.close()


def relay_answer(sdp: str, listen_ip: str, delay: float, loss: float,
                 relays: list[UdpRelay]) -> str:
    """The answer with its candidates replaced by one relay to its first IPv4 UDP candidate."""
    lines = sdp.split("\r\n")
    candidates = [line for line in lines if line.startswith("a=candidate:")]
    target = None
    for line in candidates:
        parts = line.split()
        if parts[2].lower() == "udp" and parts[4].count(".") == 3:
            target = (parts[4], int(parts[5]))
            break
    assert target is not None, candidates
    relay = UdpRelay(listen_ip, target, delay, loss, seed=len(relays) + 7)
    relays.append(relay)
    out, added = [], False
    for line in lines:
        if line.startswith("m="):
            added = False  # one relay candidate in each media section
        if line.startswith("a=candidate:"):
            if not added:
                out.append(f"a=candidate:1 1 UDP 2130706431 {listen_ip} {relay.port} typ host")
                added = True
            continue
        out.append(line)
    return "\r\n".join(out)
