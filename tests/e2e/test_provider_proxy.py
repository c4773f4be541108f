"""A user behind a corporate proxy with a private CA: the real daemon, started with ``HTTPS_PROXY``,
``NO_PROXY`` and ``SSL_CERT_FILE``, reaches an https provider through a CONNECT proxy on loopback.

The provider is the simulated one served over TLS with a certificate from a CA made in the test. It
is named ``provider.test``, which only the proxy resolves (to loopback), so an answer proves the
request went through the tunnel; the same provider named ``localhost`` is in ``NO_PROXY`` and must be
reached directly. A daemon given another CA's bundle answers with an error that names SSL_CERT_FILE.
"""

from __future__ import annotations

import base64
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from daemon.sim.demo import demo_models_config
from daemon.sim.profiles import instant_profiles
from tests.fakes.proxy import Certificates, RecordingProxy, certificates
from tests.support import DaemonProcess, SimServer, running_daemon, sim_config, write_config


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return certificates(tmp_path_factory.mktemp("corp-ca"), "provider.test", "localhost")


@pytest.fixture
async def tls_sim(certs: Certificates) -> AsyncIterator[SimServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs.cert, certs.key)
    async with SimServer(ssl_context=context) as server:
        yield server


@pytest.fixture
async def proxy() -> AsyncIterator[RecordingProxy]:
    async with RecordingProxy(require="Basic " + base64.b64encode(b"corp:s3cret").decode()) as running:
        yield running


def _config(path: Path, port: int) -> Path:
    """Real (not simulated) deployments on the TLS sim: two through the proxy, one in NO_PROXY."""
    sim = demo_models_config(f"https://provider.test:{port}", instant_profiles())
    models: dict[str, Any] = {
        "corp-openai": {**sim["sim-nano"], "simulated": False},
        "corp-claude": {**sim["sim-claude"], "simulated": False},
        "corp-local": {**demo_models_config(f"https://localhost:{port}", instant_profiles())["sim-mini"],
                       "simulated": False},
    }
    data = sim_config("http://127.0.0.1:9", extra={"models": models})
    for name in demo_models_config("http://127.0.0.1:9", instant_profiles()):
        data["models"][name] = {**data["models"][name], "enabled": False}
    return write_config(path, data)


def _environment(proxy: RecordingProxy, cafile: Path) -> dict[str, str]:
    """The variables a corporate machine sets, in both cases (so none from the environment running the
    test takes part: an empty lower-case variable would unset its upper-case twin)."""
    env = {"HTTPS_PROXY": f"http://corp:s3cret@127.0.0.1:{proxy.port}", "NO_PROXY": "localhost",
           "HTTP_PROXY": "", "ALL_PROXY": ""}
    return env | {name.lower(): value for name, value in env.items()} | {"SSL_CERT_FILE": str(cafile),
                                                                         "SSL_CERT_DIR": ""}


async def _chat(daemon: DaemonProcess, key: str, model: str) -> Any:
    async with daemon.http_client(key) as http:
        return await http.post("/v1/chat/completions", json={
            "model": model, "messages": [{"role": "user", "content": "say hello"}]})


async def _developer_key(daemon: DaemonProcess) -> str:
    async with daemon.client() as client:
        return (await client.add_developer("corp-user")).key


async def test_daemon_reaches_https_provider_through_connect_proxy_and_bypasses_no_proxy(
        tmp_path: Path, tls_sim: SimServer, proxy: RecordingProxy, certs: Certificates) -> None:
    config = _config(tmp_path / "config.toml", tls_sim.port)
    async with running_daemon(config, env=_environment(proxy, certs.ca)) as daemon:
        key = await _developer_key(daemon)

        answer = await _chat(daemon, key, "corp-openai")
        assert answer.status_code == 200, answer.text
        assert answer.json()["choices"][0]["message"]["content"]
        tunnels = [seen.request_line for seen in proxy.seen]
        assert tunnels == [f"CONNECT provider.test:{tls_sim.port} HTTP/1.1"]
        assert proxy.seen[0].authorization == proxy.require

        async with daemon.http_client(key) as http:  # Anthropic format, streamed, through the same proxy
            async with http.stream("POST", "/v1/messages", json={
                    "model": "corp-claude", "max_tokens": 64, "stream": True,
                    "messages": [{"role": "user", "content": "say hello"}]}) as stream:
                assert stream.status_code == 200
                body = (await stream.aread()).decode()
        assert "message_stop" in body

        direct = await _chat(daemon, key, "corp-local")  # localhost is in NO_PROXY
        assert direct.status_code == 200, direct.text
        assert all("localhost" not in seen.request_line for seen in proxy.seen)
        assert all(line.startswith("CONNECT provider.test:") for line in (s.request_line for s in proxy.seen))
    served = {record.model for record in tls_sim.log.records}
    assert {"sim-nano", "sim-claude", "sim-mini"} <= served


async def test_untrusted_provider_certificate_error_names_ssl_cert_file(
        tmp_path: Path, tls_sim: SimServer, proxy: RecordingProxy) -> None:
    other = certificates(tmp_path / "other-ca", "provider.test", label="Not the provider's CA")
    config = _config(tmp_path / "config.toml", tls_sim.port)
    async with running_daemon(config, env=_environment(proxy, other.ca)) as daemon:
        key = await _developer_key(daemon)
        answer = await _chat(daemon, key, "corp-openai")
    assert answer.status_code >= 500
    message = answer.json()["error"]["message"]
    assert f"SSL_CERT_FILE={other.ca}" in message, message
    assert "not trusted" in message
    assert tls_sim.log.records == []
