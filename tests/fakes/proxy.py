"""What a corporate network puts between the daemon and a provider, made real on loopback: an HTTP proxy
(``CONNECT`` tunnels and absolute-form forwarding) and a private CA with a server certificate.

``RecordingProxy`` listens on 127.0.0.1 and records the request line (and ``Proxy-Authorization``) of
every connection it is asked to carry. Any host it is asked for is reached at 127.0.0.1 on the port
asked: it resolves names the way a proxy does, for the client, so a client can only reach a name
like ``provider.test`` through it. ``certificates`` makes a CA and a server certificate signed by it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TIMEOUT = 10.0


@dataclass
class Tunnelled:
    """One connection the proxy carried: its first line and the credentials it came with."""

    request_line: str
    authorization: str | None


@dataclass
class RecordingProxy:
    """An HTTP proxy on loopback that records what it carries; ``require`` makes it answer 407 to
    requests without that ``Proxy-Authorization`` value; ``tls`` makes it an ``https://`` proxy."""

    require: str | None = None
    tls: ssl.SSLContext | None = None
    seen: list[Tunnelled] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://localhost:{self.port}"

    async def __aenter__(self) -> RecordingProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            async with asyncio.timeout(TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {name.strip().lower(): value.strip()
                       for name, _, value in (line.partition(":") for line in lines[1:] if line)}
            authorization = headers.get("proxy-authorization")
            self.seen.append(Tunnelled(lines[0], authorization))
            if self.require is not None and authorization != self.require:
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                             b"Proxy-Authenticate: Basic realm=\"test\"\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
                return
            method, target, _ = lines[0].split(" ", 2)
            if method == "CONNECT":
                port = int(target.rpartition(":")[2])
                upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
            else:  # forwarded: the absolute-form request goes on as it came (servers must accept it)
                port = urlsplit(target).port or 80
                upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
                upstream_writer.write(head)
            async with asyncio.TaskGroup() as group:
                group.create_task(_pipe(reader, upstream_writer))
                group.create_task(_pipe(upstream_reader, writer))
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ExceptionGroup):
            pass  # a client or provider that went away: the connection is over, which is all a proxy sees
        finally:
            writer.close()
            self._tasks.discard(task)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    finally:
        with contextlib.suppress(OSError):
            sink.close()


@dataclass(frozen=True)
class Certificates:
    """PEM files: a CA, and a server certificate with its key signed by that CA."""

    ca: Path
    cert: Path
    key: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def certificates(folder: Path, *hosts: str, label: str = "Switchboard test CA") -> Certificates:
    """A fresh CA and a server certificate for ``hosts`` (names or IP addresses) signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (x509.CertificateBuilder().subject_name(_name(label)).issuer_name(_name(label))
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (x509.CertificateBuilder().subject_name(_name(hosts[0])).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    paths = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    paths.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    return paths
