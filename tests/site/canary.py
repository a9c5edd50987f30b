"""The canary: a server on 127.0.0.2 that counts every connection, next to an allowed site on
127.0.0.1 at the same port. Tests allow only 127.0.0.1, so any hit on the canary means a
forbidden address was reached.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from tests.engine.conftest import node
from trawler.demo_site import DemoSite, Request, Response

CANARY_HOST = "127.0.0.2"
PUBLIC = "93.184.216.34"
"""A public address (nothing answers there offline): what a rebinding resolver answers first."""


class Canary:
    """A TCP server that counts every connection it accepts and answers `canary`."""

    def __init__(self, host: str, port: int) -> None:
        self.hits = 0
        self.received: list[bytes] = []
        self._socket = socket.create_server((host, port))
        self.port = int(self._socket.getsockname()[1])
        self._socket.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="canary", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.hits += 1
            with conn:
                conn.settimeout(1)
                try:
                    self.received.append(conn.recv(4096))
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\ncanary"
                    )
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()


class UdpCanary:
    """A UDP socket that counts every datagram it receives (a STUN/TURN probe, an ICE check)."""

    def __init__(self, host: str, port: int = 0) -> None:
        self.packets: list[tuple[bytes, tuple[str, int]]] = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()
        self._socket.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="udp-canary", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.packets.append(self._socket.recvfrom(2048))
            except TimeoutError:
                continue
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()


WEBRTC = """async () => {{
  const servers = [{{urls: 'stun:{host}:{port}'}},
    {{urls: 'turn:{host}:{port}?transport=udp', username: 'u', credential: 'p'}}];
  const pc = new RTCPeerConnection({{iceServers: servers}});
  pc.createDataChannel('probe');
  const candidates = [];
  const gathered = new Promise((done) => {{
    pc.onicecandidate = (event) => event.candidate ? candidates.push(event.candidate.type) : done();
    setTimeout(done, 3000);
  }});
  await pc.setLocalDescription(await pc.createOffer());
  await pc.setRemoteDescription({{type: 'answer', sdp: pc.localDescription.sdp
    .replace(/a=candidate:.*\\r\\n/g, '')
    .replace('a=setup:actpass', 'a=setup:active')}});
  await pc.addIceCandidate({{candidate: 'candidate:1 1 udp 2122260223 {host} {port} typ host',
    sdpMid: '0', sdpMLineIndex: 0}});
  await gathered;
  await new Promise((done) => setTimeout(done, 1000));
  return candidates;
}}"""
"""A page's WebRTC reaching for a STUN/TURN server and a peer at host:port, over UDP."""


PAGES = {
    "meta-refresh": '<meta http-equiv="refresh" content="0;url={url}">',
    "js-location": "<script>location.href = '{url}'</script>",
    "iframe": "<iframe src='{url}'></iframe>",
    "fetch": "<script>fetch('{url}').catch(() => null)</script>",
    "xhr": "<script>const x = new XMLHttpRequest(); x.open('GET', '{url}'); x.send()</script>",
    "img": "<img src='{url}'>",
    "script": "<script src='{url}'></script>",
    "form-post": "<form method=post action='{url}'><input name=a value=b></form>"
    "<script>document.forms[0].submit()</script>",
    "beacon": "<script>navigator.sendBeacon('{url}', 'data')</script>",
    "service-worker": "<script>navigator.serviceWorker.register("
    "'/sw.js?to=' + encodeURIComponent('{url}'))</script>",
}
SPELLING = {
    "iframe": "0x7f000002",
    "img": "017700000002",
    "fetch": "127.2",
    "xhr": "2130706434",
    "script": "[::ffff:127.0.0.2]",
}
"""Canary spellings some vectors use instead of 127.0.0.2 (Chromium canonicalises them)."""

SPELLINGS = {
    CANARY_HOST: "loopback",
    "127.2": "loopback",
    "2130706434": "loopback",
    "0x7f000002": "loopback",
    "017700000002": "loopback",
    "[::ffff:127.0.0.2]": "loopback",
    "[::1]": "loopback",
    "0.0.0.0": "unspecified",
}
"""Ways to write the canary's (or this machine's) address, and the rule that refuses each."""
REDIRECTS = (301, 302, 303, 307, 308)


SERVICE_WORKER = """
const target = new URL(location.href).searchParams.get('to');
self.addEventListener('install', (event) => {
  self.skipWaiting();
  event.waitUntil(fetch(target, {mode: 'no-cors'}).then(() => null, () => null));
});
"""


@dataclass
class Lab:
    """The allowed site, its canary, and the URLs tests build from them."""

    site: DemoSite
    canary: Canary
    hits: Counter[str] = field(default_factory=Counter)
    """Paths under `/hit/` the site served (what `0.0.0.0` would reach)."""

    @property
    def base(self) -> str:
        return self.site.base_url

    @property
    def port(self) -> int:
        return self.site.port

    def at(self, host: str, path: str) -> str:
        """`http://host:PORT/path` (the site's port, where the canary listens too)."""
        return f"http://{host}:{self.port}{path}"

    def canary_url(self, path: str) -> str:
        return self.at(CANARY_HOST, path)

    def page(self, html: str) -> str:
        """A URL on the allowed site that serves `html`."""
        return f"{self.base}/echo?html={quote(html)}"

    def redirect(self, to: str, status: int) -> str:
        return f"{self.base}/redirect?status={status}&to={quote(to)}"


def _routes(hits: Counter[str]) -> dict[str, Callable[[Request], Response]]:
    def echo(request: Request) -> Response:
        return Response.html(request.query.get("html", ""))

    def redirect(request: Request) -> Response:
        return Response.redirect(request.query["to"], int(request.query.get("status", "302")))

    def service_worker(request: Request) -> Response:
        return Response(200, SERVICE_WORKER, "text/javascript; charset=utf-8")

    def ok(request: Request) -> Response:
        return Response.html("<title>allowed</title><p id=ok>the allowed site</p>")

    def hit(request: Request) -> Response:
        hits[request.params["name"]] += 1
        return Response.text("hit")

    return {
        "/echo": echo,
        "/redirect": redirect,
        "/sw.js": service_worker,
        "/ok": ok,
        "/hit/<name>": hit,
    }


@contextmanager
def start_lab() -> Iterator[Lab]:
    """The allowed site on 127.0.0.1 and the canary on 127.0.0.2, on one port."""
    hits: Counter[str] = Counter()
    for _ in range(20):
        canary = Canary(CANARY_HOST, 0)
        site = DemoSite("127.0.0.1", canary.port, extra_routes=_routes(hits))
        try:
            site.start()
        except OSError:  # the canary's port is taken on 127.0.0.1
            canary.close()
            continue
        break
    else:
        raise RuntimeError("no port free on both 127.0.0.1 and 127.0.0.2")
    try:
        yield Lab(site, canary, hits)
    finally:
        site.stop()
        canary.close()


class Resolver:
    """A resolver with fixed answers per name; `later` answers every call after the first."""

    def __init__(
        self, answers: dict[str, list[str]], later: dict[str, list[str]] | None = None
    ) -> None:
        self.answers = answers
        self.later = later or {}
        self.calls: Counter[str] = Counter()

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls[host] += 1
        if self.calls[host] > 1 and host in self.later:
            return self.later[host]
        if host not in self.answers:
            raise OSError(f"{host}: name not known")
        return self.answers[host]


def spelling_nodes(lab: Lab) -> list[dict[str, Any]]:
    """`navigate` nodes `at-<i>`, one per spelling of the canary (SPELLINGS, in order)."""
    return [
        node(f"at-{i}", "navigate", url=lab.at(host, f"/hit/at-{i}"), on_error="continue")
        for i, host in enumerate(SPELLINGS)
    ]


def redirect_nodes(lab: Lab) -> list[dict[str, Any]]:
    """`navigate` nodes `hop-<status>` to the allowed site, which redirects to `/hop-<status>`
    on the canary."""
    return [
        node(
            f"hop-{status}",
            "navigate",
            url=lab.redirect(lab.canary_url(f"/hop-{status}"), status),
            on_error="continue",
        )
        for status in REDIRECTS
    ]


def page_nodes(lab: Lab, wait_ms: int = 0) -> list[dict[str, Any]]:
    """`page-<vector>` nodes opening a page of the allowed site that reaches for the canary
    (PAGES), each followed by a `wait-<vector>` of `wait_ms` if given."""
    nodes = []
    for vector, html in PAGES.items():
        url = lab.at(SPELLING.get(vector, CANARY_HOST), f"/{vector}")
        nodes.append(node(f"page-{vector}", "navigate", url=lab.page(html.format(url=url))))
        if wait_ms:
            nodes.append(node(f"wait-{vector}", "wait", mode="time", ms=wait_ms))
    return nodes
