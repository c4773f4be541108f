"""Outbound proxies and trusted CAs for the direct provider path, read from the environment once.

The same variables and meanings as httpx, requests and LiteLLM (all three go through
``urllib.request.getproxies`` / ``proxy_bypass``):

- ``HTTPS_PROXY`` for https targets, ``HTTP_PROXY`` for http ones, ``ALL_PROXY`` for either when the
  scheme's own is unset; lower-case names win over upper-case ones; an empty value unsets. A proxy
  URL without a scheme is ``http://``; ``user:password@`` in it becomes ``Proxy-Authorization: Basic``.
  Under CGI (``REQUEST_METHOD`` set) upper-case ``HTTP_PROXY`` is ignored (CVE-2016-1000110).
- ``NO_PROXY``: comma-separated host names (a name matches itself and its subdomains, a leading
  dot changes nothing), ``host:port`` entries that match that port only, IP addresses, CIDR blocks
  (as requests and curl read them), and ``*`` for every host. Loopback is proxied like any host
  unless listed, as httpx does; put ``localhost,127.0.0.1`` there for local providers (vLLM, Ollama).
- ``SSL_CERT_FILE`` (a PEM bundle) and ``SSL_CERT_DIR`` (a hashed directory) replace the system's
  trust store, as OpenSSL, httpx and LiteLLM read them.

``http://`` and ``https://`` proxies are spoken (to an ``https://`` one over TLS, trusted like a
provider); any other scheme (``socks5://``) makes each request through it fail with a message that
says so, rather than going around the proxy.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

_SCHEMES = ("http", "https")


@dataclass(frozen=True, slots=True)
class Proxy:
    """One proxy to go through: where it listens, the header that authenticates to it, and for error
    messages the variable that named it and its URL without credentials."""

    host: str
    port: int
    authorization: str | None
    variable: str
    shown: str
    error: str | None = None
    """Why this proxy cannot be used (an unsupported scheme, a malformed URL); requests through it fail."""
    tls: bool = False
    """An ``https://`` proxy: the connection to the proxy itself is TLS (and an https target's TLS runs
    inside it)."""


def _environment_proxies(environ: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """``urllib.request.getproxies_environment`` over ``environ``, keeping which variable named each."""
    found: dict[str, tuple[str, str]] = {}
    for name, value in environ.items():
        lowered = name.lower()
        if value and lowered.endswith("_proxy"):
            found[lowered[:-6]] = (name, value)
    if "REQUEST_METHOD" in environ:
        found.pop("http", None)
    for name, value in environ.items():
        if name.endswith("_proxy"):
            if value:
                found[name[:-6]] = (name, value)
            else:
                found.pop(name[:-6], None)
    return found


def _parse_proxy(variable: str, url: str) -> Proxy:
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return Proxy("", 0, None, variable, "(malformed)", f"{variable} is not a valid proxy URL ({exc})")
    host = parts.hostname or ""
    netloc = parts.netloc.rpartition("@")[2]
    shown = f"{parts.scheme}://{netloc}"
    if parts.scheme not in _SCHEMES:
        return Proxy(host, 0, None, variable, shown,
                     f"{variable}={shown}: the direct provider path speaks http:// and https:// proxies only")
    if not host:
        return Proxy(host, 0, None, variable, shown, f"{variable}={shown} names no proxy host")
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    tls = parts.scheme == "https"
    return Proxy(host, port or (443 if tls else 80), authorization, variable, shown, tls=tls)


class _NoProxy:
    """The ``NO_PROXY`` list, parsed once."""

    __slots__ = ("everything", "names", "networks")

    def __init__(self, value: str) -> None:
        self.everything = False
        self.names: list[tuple[str, int | None]] = []
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for raw in value.split(","):
            entry = raw.strip().lower()
            if not entry:
                continue
            if entry == "*":
                self.everything = True
                continue
            if "/" in entry:
                try:
                    self.networks.append(ipaddress.ip_network(entry, strict=False))
                    continue
                except ValueError:
                    pass
            host, port = entry, None
            if entry.startswith("["):  # [::1]:8080
                host, _, rest = entry[1:].partition("]")
                port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
            elif entry.count(":") == 1:
                name, _, digits = entry.partition(":")
                if digits.isdigit():
                    host, port = name, int(digits)
            self.names.append((host.lstrip("."), port))

    def bypasses(self, host: str, port: int) -> bool:
        if self.everything:
            return True
        host = host.lower().strip("[]")
        for name, only_port in self.names:
            if only_port is not None and only_port != port:
                continue
            if host == name or host.endswith("." + name):
                return True
        if self.networks:
            try:
                address = ipaddress.ip_address(host)
            except ValueError:
                return False
            return any(address in network for network in self.networks)
        return False


class ProxySettings:
    """Which proxy, if any, a target goes through: the environment read once, answers per target."""

    __slots__ = ("_no_proxy", "_proxies")

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        found = _environment_proxies(os.environ if environ is None else environ)
        self._proxies: dict[str, Proxy] = {}
        for scheme in _SCHEMES:
            named = found.get(scheme) or found.get("all")
            if named is not None:
                self._proxies[scheme] = _parse_proxy(*named)
        self._no_proxy = _NoProxy(found.get("no", ("", ""))[1])

    def proxy_for(self, scheme: str, host: str, port: int) -> Proxy | None:
        """The proxy for ``scheme://host:port``, or None to connect directly."""
        proxy = self._proxies.get(scheme)
        if proxy is None or self._no_proxy.bypasses(host, port):
            return None
        return proxy


NO_PROXIES = ProxySettings({})
"""Connect directly, whatever the environment says (the daemon's own simulated providers)."""


@dataclass(frozen=True, slots=True)
class TrustSettings:
    """Where trusted CA certificates come from: ``SSL_CERT_FILE``/``SSL_CERT_DIR``, else the system's."""

    cafile: str | None
    capath: str | None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> TrustSettings:
        env = os.environ if environ is None else environ
        return cls(env.get("SSL_CERT_FILE") or None, env.get("SSL_CERT_DIR") or None)

    def describe(self) -> str:
        """Where the CAs come from, for error messages."""
        named = [f"{name}={value}" for name, value in (("SSL_CERT_FILE", self.cafile), ("SSL_CERT_DIR", self.capath))
                 if value]
        return " and ".join(named) if named else "the system's trust store (SSL_CERT_FILE and SSL_CERT_DIR are unset)"

    def context(self) -> ssl.SSLContext:
        """A client TLS context trusting these CAs; ``ssl.SSLError``/``OSError`` naming the variable when
        the file or directory cannot be read."""
        if self.cafile or self.capath:
            try:
                return ssl.create_default_context(cafile=self.cafile, capath=self.capath)
            except (OSError, ssl.SSLError) as exc:
                raise ssl.SSLError(f"cannot load the trusted CAs from {self.describe()}: {exc}") from exc
        context = ssl.create_default_context()
        if not context.cert_store_stats().get("x509_ca"):
            try:
                import certifi
            except ImportError:
                pass
            else:
                context.load_verify_locations(certifi.where())
        return context
