"""Proxies fixtures: Chromium, the allowed site and the canary it must never reach, TLS.

The lab site serves on 127.0.0.1:PORT; the canary listens on 127.0.0.2 at the same PORT and
counts every TCP connection it accepts. Tests allow only `127.0.0.1/32`, so any hit on the
canary means a forbidden address was reached.
"""

from __future__ import annotations

import asyncio
import datetime
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from proxies import Proxy
from proxies.netpolicy import NetworkPolicy, Refusal


@pytest.fixture
def policy() -> NetworkPolicy:
    """The tests' policy: only the lab site's address is allowed on loopback."""
    return NetworkPolicy(allow=["127.0.0.1/32"])


@dataclass
class Session:
    """An egress session for tests: a fixed upstream (an account's unless `trusted`),
    refusals and failures recorded."""

    id: str
    upstream_url: str | None = None
    trusted: bool = False
    asked: list[str] = field(default_factory=list)
    refusals: list[tuple[str, Refusal]] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    proxy_refusals: list[tuple[Proxy, Refusal]] = field(default_factory=list)

    def upstream(self, host: str) -> Proxy | None:
        self.asked.append(host)
        if self.upstream_url is None:
            return None
        return Proxy(self.upstream_url, trusted=self.trusted)

    def refused(self, target: str, refusal: Refusal) -> None:
        self.refusals.append((target, refusal))

    def failed(
        self, target: str, message: str, upstream: Proxy | None, refusal: Refusal | None = None
    ) -> None:
        self.failures.append((target, message))
        if upstream is not None and refusal is not None:
            self.proxy_refusals.append((upstream, refusal))


Report = tuple[str | None, str, Refusal]


class Refusals:
    """The egress proxy's `on_refused` callback: records reports and lets tests wait for one."""

    def __init__(self) -> None:
        self.seen: list[Report] = []
        self._changed = asyncio.Event()

    def __call__(self, session_id: str | None, target: str, refusal: Refusal) -> None:
        self.seen.append((session_id, target, refusal))
        self._changed.set()

    async def wait(self, predicate: Callable[[Report], bool], seconds: float = 10) -> Report:
        """The first report matching `predicate`, waiting for it up to `seconds`."""
        async with asyncio.timeout(seconds):
            while True:
                found = next((r for r in self.seen if predicate(r)), None)
                if found is not None:
                    return found
                self._changed.clear()
                await self._changed.wait()


@dataclass(frozen=True)
class Tls:
    """A test CA and a server certificate for `pinned.test`."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "trawler test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pinned.test")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("pinned.test")]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    files = Tls(folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    files.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@pytest.fixture
def tls_context(tls: Tls) -> ssl.SSLContext:
    """A client context that trusts the test CA only."""
    return tls.client_context()


class TlsSite:
    """An HTTPS server on 127.0.0.1 with the `pinned.test` certificate.

    Records the SNI name and the Host header of each request; answers `secure <host>`.
    """

    def __init__(self, tls: Tls) -> None:
        self.names: list[str | None] = []
        self.hosts: list[str] = []
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls.cert_file, tls.key_file)
        context.sni_callback = self._sni
        self._context = context
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.05)
        self.port = int(self._socket.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tls-site", daemon=True)
        self._thread.start()

    def _sni(self, sock: ssl.SSLObject | ssl.SSLSocket, name: str | None, _: object) -> None:
        self.names.append(name)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                raw, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            raw.settimeout(2)
            try:
                with self._context.wrap_socket(raw, server_side=True) as conn:
                    head = b""
                    while b"\r\n\r\n" not in head:
                        data = conn.recv(4096)
                        if not data:
                            break
                        head += data
                    host = next(
                        (
                            line.split(":", 1)[1].strip()
                            for line in head.decode("latin-1").split("\r\n")
                            if line.lower().startswith("host:")
                        ),
                        "",
                    )
                    self.hosts.append(host)
                    body = f"secure {host}".encode()
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nConnection: close\r\n"
                        + f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
            except (OSError, ssl.SSLError):
                raw.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()


@pytest.fixture(scope="session")
def tls_site(tls: Tls) -> Iterator[TlsSite]:
    server = TlsSite(tls)
    try:
        yield server
    finally:
        server.close()
