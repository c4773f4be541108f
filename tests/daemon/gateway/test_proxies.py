"""Proxies and trusted CAs of the direct path: the environment's meaning (``daemon.gateway.proxies``,
checked against ``urllib.request``, which httpx, requests and LiteLLM go by), and ``Http1Client``
through a real proxy on loopback (``tests.fakes.proxy``) to a TLS server whose CA is made here.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from daemon.gateway.http1 import Http1Client, HttpConnectError
from daemon.gateway.proxies import ProxySettings, TrustSettings
from tests.fakes.proxy import Certificates, RecordingProxy, certificates
from tests.fakes.scripted_http import ScriptedServer, send

TIMEOUT = 5.0


def ok(body: bytes = b"hello") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


# -- what the environment means ----------------------------------------------------------------------


@pytest.mark.parametrize(("environ", "scheme", "expected"), [
    ({"HTTPS_PROXY": "http://p:3128"}, "https", ("p", 3128, "HTTPS_PROXY")),
    ({"HTTPS_PROXY": "http://p:3128"}, "http", None),
    ({"HTTP_PROXY": "p:8080"}, "http", ("p", 8080, "HTTP_PROXY")),  # no scheme: http://
    ({"https_proxy": "http://lower:1", "HTTPS_PROXY": "http://upper:2"}, "https", ("lower", 1, "https_proxy")),
    ({"HTTPS_PROXY": "http://upper:2", "https_proxy": ""}, "https", None),  # an empty lower-case one unsets
    ({"ALL_PROXY": "http://all:3"}, "https", ("all", 3, "ALL_PROXY")),
    ({"ALL_PROXY": "http://all:3", "HTTPS_PROXY": "http://own:4"}, "https", ("own", 4, "HTTPS_PROXY")),
    ({"HTTP_PROXY": "http://p:1", "REQUEST_METHOD": "GET"}, "http", None),  # CGI: upper-case HTTP_PROXY ignored
    ({"HTTP_PROXY": "http://p"}, "http", ("p", 80, "HTTP_PROXY")),
])
def test_proxy_variables_read_as_urllib_reads_them(environ: dict[str, str], scheme: str,
                                                   expected: tuple[str, int, str] | None) -> None:
    proxy = ProxySettings(environ).proxy_for(scheme, "api.example.com", 443)
    assert (proxy and (proxy.host, proxy.port, proxy.variable)) == expected


@pytest.mark.parametrize(("no_proxy", "host", "port", "bypassed"), [
    ("example.com", "example.com", 443, True),
    ("example.com", "api.example.com", 443, True),
    (".example.com", "example.com", 443, True),  # a leading dot changes nothing (urllib, requests, curl)
    ("example.com", "notexample.com", 443, False),
    ("example.com:8443", "example.com", 8443, True),
    ("example.com:8443", "example.com", 443, False),
    ("*", "anything.org", 443, True),
    ("localhost,127.0.0.1", "localhost", 8000, True),
    ("localhost,127.0.0.1", "127.0.0.1", 8000, True),
    ("LOCALHOST", "localhost", 8000, True),
    (" a.com , b.com ", "b.com", 443, True),
    ("", "example.com", 443, False),
])
def test_no_proxy_agrees_with_urllib(no_proxy: str, host: str, port: int, bypassed: bool) -> None:
    """The cases urllib.request.proxy_bypass_environment decides (what LiteLLM and requests use)."""
    environ = {"HTTPS_PROXY": "http://p:3128", "NO_PROXY": no_proxy}
    assert (ProxySettings(environ).proxy_for("https", host, port) is None) is bypassed
    if no_proxy:
        urllib_says = urllib.request.proxy_bypass_environment(f"{host}:{port}", {"no": no_proxy})
        assert urllib_says is bypassed


@pytest.mark.parametrize(("no_proxy", "host", "bypassed"), [
    ("10.0.0.0/8", "10.1.2.3", True),  # CIDR, as requests and curl read it
    ("10.0.0.0/8", "11.1.2.3", False),
    ("a.com,*", "b.com", True),  # `*` anywhere in the list, as httpx reads it
    ("::1", "::1", True),
    ("[::1]:8000", "::1", True),
])
def test_no_proxy_entries_beyond_urllib(no_proxy: str, host: str, bypassed: bool) -> None:
    environ = {"HTTPS_PROXY": "http://p:3128", "NO_PROXY": no_proxy}
    assert (ProxySettings(environ).proxy_for("https", host, 8000) is None) is bypassed


def test_proxy_credentials_become_basic_auth_and_stay_out_of_messages() -> None:
    proxy = ProxySettings({"HTTPS_PROXY": "http://us%40er:p%3Ass@p:3128"}).proxy_for("https", "h", 443)
    assert proxy is not None
    assert proxy.authorization == "Basic " + base64.b64encode(b"us@er:p:ss").decode()
    assert "p%3Ass" not in proxy.shown and "ss@" not in proxy.shown
    assert proxy.shown == "http://p:3128"


def test_unsupported_proxy_scheme_is_an_error_not_a_bypass() -> None:
    proxy = ProxySettings({"HTTPS_PROXY": "socks5://p:1080"}).proxy_for("https", "h", 443)
    assert proxy is not None and proxy.error is not None and "HTTPS_PROXY" in proxy.error


def test_https_proxy_is_spoken_over_tls_on_its_default_port() -> None:
    proxy = ProxySettings({"HTTPS_PROXY": "https://p"}).proxy_for("https", "h", 443)
    assert proxy is not None and proxy.error is None and proxy.tls and proxy.port == 443


# -- through a real proxy -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return certificates(tmp_path_factory.mktemp("ca"), "provider.test", "localhost", "127.0.0.1")


@pytest.fixture
def server_tls(certs: Certificates) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs.cert, certs.key)
    return context


@pytest.fixture
async def proxy() -> AsyncIterator[RecordingProxy]:
    async with RecordingProxy() as running:
        yield running


async def _exchange(client: Http1Client, url: str) -> bytes:
    async with asyncio.timeout(TIMEOUT):
        response = await client.post(url, {"authorization": "Bearer k"}, b"{}", connect_timeout=TIMEOUT)
        assert response.status == 200
        body = await response.read()
    response.release()
    return body


async def test_https_target_goes_through_a_connect_tunnel_with_end_to_end_tls(
        proxy: RecordingProxy, server_tls: ssl.SSLContext, certs: Certificates) -> None:
    """An https provider named by a host only the proxy can resolve is reached through CONNECT with the
    proxy's credentials; TLS is with the provider (verified against SSL_CERT_FILE's CA), and the
    tunnel is reused for the next request."""
    environ = {"HTTPS_PROXY": f"http://me:secret@127.0.0.1:{proxy.port}"}
    client = Http1Client(ProxySettings(environ), TrustSettings(str(certs.ca), None))
    try:
        async with ScriptedServer(send(ok(b"one")), send(ok(b"two")), tls=server_tls) as server:
            url = server.url("/v1/chat/completions", host="provider.test")
            assert await _exchange(client, url) == b"one"
            assert await _exchange(client, url) == b"two"
        assert [t.request_line for t in proxy.seen] == [f"CONNECT provider.test:{server.port} HTTP/1.1"]
        assert proxy.seen[0].authorization == "Basic " + base64.b64encode(b"me:secret").decode()
        assert server.requests[0].request_line == "POST /v1/chat/completions HTTP/1.1"
        assert server.requests[0].header("host") == f"provider.test:{server.port}"
        assert [r.conn for r in server.requests] == [0, 0]
    finally:
        await client.aclose()


async def test_http_target_is_forwarded_in_absolute_form(proxy: RecordingProxy) -> None:
    environ = {"HTTP_PROXY": f"http://me:pw@127.0.0.1:{proxy.port}", "HTTPS_PROXY": "http://127.0.0.1:9"}
    client = Http1Client(ProxySettings(environ))
    try:
        async with ScriptedServer(send(ok(b"fwd"))) as server:
            assert await _exchange(client, server.url("/v1/messages", host="provider.test")) == b"fwd"
        target = f"http://provider.test:{server.port}/v1/messages"
        assert [t.request_line for t in proxy.seen] == [f"POST {target} HTTP/1.1"]
        assert proxy.seen[0].authorization == "Basic " + base64.b64encode(b"me:pw").decode()
    finally:
        await client.aclose()


async def test_no_proxy_host_is_reached_directly(proxy: RecordingProxy, server_tls: ssl.SSLContext,
                                                 certs: Certificates) -> None:
    environ = {"HTTPS_PROXY": proxy.url, "NO_PROXY": "example.org,localhost"}
    client = Http1Client(ProxySettings(environ), TrustSettings(str(certs.ca), None))
    try:
        async with ScriptedServer(send(ok(b"direct")), tls=server_tls) as server:
            assert await _exchange(client, server.url(host="localhost")) == b"direct"
        assert proxy.seen == []
    finally:
        await client.aclose()


async def test_proxy_refusing_the_tunnel_is_a_connect_error_that_says_why(server_tls: ssl.SSLContext,
                                                                          certs: Certificates) -> None:
    async with RecordingProxy(require="Basic bm9wZQ==") as proxy:
        client = Http1Client(ProxySettings({"HTTPS_PROXY": proxy.url}), TrustSettings(str(certs.ca), None))
        async with ScriptedServer(send(ok()), tls=server_tls) as server:
            with pytest.raises(HttpConnectError) as caught:
                await _exchange(client, server.url(host="provider.test"))
        await client.aclose()
    message = str(caught.value)
    assert "407" in message and "HTTPS_PROXY" in message and "credentials" in message
    assert server.requests == []


async def test_untrusted_certificate_error_names_ssl_cert_file(tmp_path: Path, proxy: RecordingProxy,
                                                               server_tls: ssl.SSLContext) -> None:
    """A CA bundle that does not hold the provider's CA: the error names SSL_CERT_FILE and its value."""
    other = certificates(tmp_path / "other", "provider.test", label="Another CA")
    client = Http1Client(ProxySettings({"HTTPS_PROXY": proxy.url}), TrustSettings(str(other.ca), None))
    try:
        async with ScriptedServer(send(ok()), tls=server_tls) as server:
            with pytest.raises(HttpConnectError) as caught:
                await _exchange(client, server.url(host="provider.test"))
        assert f"SSL_CERT_FILE={other.ca}" in str(caught.value)
        assert "not trusted" in str(caught.value)
        assert server.requests == []
    finally:
        await client.aclose()


async def test_unreadable_ssl_cert_file_is_named(tmp_path: Path) -> None:
    client = Http1Client(ProxySettings({}), TrustSettings(str(tmp_path / "missing.pem"), None))
    with pytest.raises(HttpConnectError, match="SSL_CERT_FILE="):
        await client.post("https://provider.test/v1", {}, b"{}", connect_timeout=TIMEOUT)


async def test_unsupported_proxy_fails_instead_of_going_around_it() -> None:
    client = Http1Client(ProxySettings({"ALL_PROXY": "socks5://127.0.0.1:9"}))
    with pytest.raises(HttpConnectError, match="ALL_PROXY=socks5://127.0.0.1:9"):
        await client.post("http://provider.test/v1", {}, b"{}", connect_timeout=TIMEOUT)


async def test_https_proxy_carries_tls_inside_tls_and_forwards_http_over_tls(
        server_tls: ssl.SSLContext, certs: Certificates) -> None:
    """An https:// proxy: the connection to it is TLS (verified against the same CAs); an https target's
    TLS runs inside that, an http target is forwarded over it."""
    async with RecordingProxy(tls=server_tls) as proxy:
        environ = {"HTTPS_PROXY": proxy.url, "HTTP_PROXY": proxy.url}
        client = Http1Client(ProxySettings(environ), TrustSettings(str(certs.ca), None))
        try:
            async with ScriptedServer(send(ok(b"inner")), tls=server_tls) as secure, \
                    ScriptedServer(send(ok(b"plain"))) as plain:
                assert await _exchange(client, secure.url(host="provider.test")) == b"inner"
                assert await _exchange(client, plain.url("/v1/x", host="provider.test")) == b"plain"
            assert [t.request_line for t in proxy.seen] == [
                f"CONNECT provider.test:{secure.port} HTTP/1.1",
                f"POST http://provider.test:{plain.port}/v1/x HTTP/1.1"]
        finally:
            await client.aclose()


async def test_untrusted_https_proxy_is_named_as_the_one_not_trusted(tmp_path: Path, server_tls: ssl.SSLContext) -> None:
    other = certificates(tmp_path / "other", "provider.test", label="Another CA")
    async with RecordingProxy(tls=server_tls) as proxy:
        client = Http1Client(ProxySettings({"HTTPS_PROXY": proxy.url}), TrustSettings(str(other.ca), None))
        with pytest.raises(HttpConnectError) as caught:
            await _exchange(client, "https://provider.test:9/v1")
        await client.aclose()
    message = str(caught.value)
    assert f"the proxy {proxy.url} (HTTPS_PROXY): its TLS certificate is not trusted" in message, message
    assert f"SSL_CERT_FILE={other.ca}" in message
    assert proxy.seen == []


@pytest.mark.parametrize("proxy_tls", [False, True], ids=["http-proxy", "https-proxy"])
def test_tunnel_on_uvloop(server_tls: ssl.SSLContext, certs: Certificates, proxy_tls: bool) -> None:
    """The daemon runs on uvloop: CONNECT then TLS inside the tunnel (inside TLS to an https:// proxy)
    works on that loop too."""
    import uvloop

    async def scenario() -> None:
        async with RecordingProxy(tls=server_tls if proxy_tls else None) as proxy:
            client = Http1Client(ProxySettings({"HTTPS_PROXY": proxy.url}), TrustSettings(str(certs.ca), None))
            try:
                async with ScriptedServer(send(ok(b"uv")), tls=server_tls) as server:
                    assert await _exchange(client, server.url(host="provider.test")) == b"uv"
                assert len(proxy.seen) == 1
            finally:
                await client.aclose()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(scenario())
