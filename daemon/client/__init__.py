"""A typed async client of the daemon's local API over its Unix socket.

The MCP server, the LSP bridge, the TUI and the CLI all talk to the daemon through this module.
It must stay light: importing it never imports LiteLLM, the router or the store. Error bodies come
back as the same exception classes the daemon raised (``daemon.errors``).

When no daemon answers, ``DaemonClient(autostart=True)`` starts one in the background. Two
clients racing to do so start one daemon: the start is serialised by a lock file next to the socket.

Nothing is sent over the socket until it is known to be the user's own daemon's
(``daemon.paths.verify_daemon_socket``: directory, socket and listening process all the user's).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from daemon.client.local_sse import EventLines, LocalSse
from daemon.errors import DaemonUnavailableError, SwitchboardError, error_from_payload
from daemon.paths import data_dir as default_data_dir
from daemon.paths import ensure_private_dir, ensure_private_file, verify_daemon_socket
from daemon.paths import socket_path as default_socket_path
from daemon.wire import (
    AskRequest,
    AskResponse,
    BudgetSet,
    BudgetStatus,
    CompleteRequest,
    CompleteResponse,
    ConsensusRequest,
    ConsensusResponse,
    DecisionInfo,
    DemoFaults,
    DemoProfile,
    DeveloperCreate,
    DeveloperCreated,
    DeveloperInfo,
    EvalRequest,
    EvalResult,
    Event,
    FeedbackRequest,
    FeedbackResponse,
    Health,
    KeysRevoked,
    MatrixInfo,
    Metrics,
    ReviewInfo,
    ReviewResolve,
    RouteRequest,
    Savings,
    Status,
    TraceDetail,
    TraceList,
)

M = TypeVar("M", bound=BaseModel)

START_TIMEOUT = 20.0
"""Seconds an auto-started daemon may take to answer its health check."""


class DaemonClient:
    """Typed calls to the local API. Use as ``async with DaemonClient() as client:``."""

    def __init__(
        self,
        socket: str | os.PathLike[str] | None = None,
        *,
        autostart: bool = False,
        data_dir: str | os.PathLike[str] | None = None,
        daemon_args: tuple[str, ...] = (),
        timeout: float = 300.0,
        base_url: str | None = None,
        api_key: str | None = None,
    ) -> None:
        """``socket`` for the local API (the default); or ``base_url`` + ``api_key`` for loopback TCP."""
        self.socket = default_socket_path(socket)
        self.base_url = base_url
        self.api_key = api_key
        self.autostart = autostart
        self.data_dir = Path(data_dir) if data_dir else None
        self.daemon_args = daemon_args
        self._timeout = timeout
        self._trusted = bool(base_url)
        """The socket was checked and is the user's own daemon's (loopback TCP needs no such check)."""
        self._http: httpx.AsyncClient | None = None
        self._local: LocalSse | None = None
        """Event streams over the Unix socket (the editor's completions): see ``daemon.client.local_sse``."""

    async def __aenter__(self) -> DaemonClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pools."""
        if self._local is not None:
            await self._local.aclose()
            self._local = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            timeout = httpx.Timeout(self._timeout, connect=5.0)
            if self.base_url:
                headers = {"authorization": f"Bearer {self.api_key}"} if self.api_key else {}
                self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, headers=headers)
            else:
                # No TLS on a Unix socket: skip loading the CA bundle (0.1 s at every client start).
                transport = httpx.AsyncHTTPTransport(uds=str(self.socket), verify=False)
                self._http = httpx.AsyncClient(transport=transport, base_url="http://switchboard", timeout=timeout)
        return self._http

    # -- plumbing --------------------------------------------------------------------------

    async def request(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        """One call; errors come back as ``SwitchboardError`` subclasses. Starts the daemon if allowed."""
        try:
            response = await self._send(method, path, json=json, params=params)
        except DaemonUnavailableError:
            if not self.autostart:
                raise
            await self.ensure_daemon()
            response = await self._send(method, path, json=json, params=params)
        return self._decode(response)

    def _trust(self) -> None:
        """Check the socket before the first byte goes through it (``UnsafePathError`` if it is not the
        user's own daemon's); until a daemon answers there, checked again before each call."""
        if not self._trusted:
            self._trusted = verify_daemon_socket(self.socket)

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        self._trust()
        if kwargs.get("params"):
            kwargs["params"] = {k: v for k, v in kwargs["params"].items() if v is not None}
        try:
            try:
                return await self._client().request(method, path, **kwargs)
            except (httpx.RemoteProtocolError, httpx.ReadError):
                if method != "GET":
                    raise
                # A pooled keep-alive connection the server closed while idle: a GET is safe to resend.
                return await self._client().request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, FileNotFoundError) as exc:
            raise DaemonUnavailableError(
                f"the Switchboard daemon is not answering on {self.socket} ({type(exc).__name__}); "
                "start it with `switchboard daemon` (or `make run`)"
            ) from None

    async def request_raw(self, method: str, path: str, *, content: bytes | None = None) -> str:
        """One call whose success body is not JSON (TOML export/import); errors still raise typed."""
        try:
            response = await self._send(method, path, content=content)
        except DaemonUnavailableError:
            if not self.autostart:
                raise
            await self.ensure_daemon()
            response = await self._send(method, path, content=content)
        if response.status_code >= 400:
            self._decode(response)
        return response.text

    @staticmethod
    def _decode(response: httpx.Response) -> Any:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code >= 400:
            raise error_from_payload(payload if payload is not None else response.text, status=response.status_code)
        return payload

    async def _typed(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        return model.model_validate(await self.request(method, path, **kwargs))

    async def sse(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """Iterate a server-sent-event response as ``(event type, data)``; closing the iterator
        closes the connection (which cancels the request on the daemon's side)."""
        if self.autostart:
            await self.ensure_daemon()
        if not self.base_url:
            self._trust()
            if self._local is None:
                self._local = LocalSse(str(self.socket))
            async with contextlib.aclosing(self._local.events(method, path, json_body=json, params=params)) as events:
                async for event in events:
                    yield event
            return
        try:
            async with self._client().stream(
                method, path, json=json, params=params, timeout=httpx.Timeout(None, connect=5.0)
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    self._decode(response)
                parser = EventLines()
                async for line in response.aiter_lines():
                    event = parser.line(line)
                    if event is not None:
                        yield event
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, FileNotFoundError) as exc:
            raise DaemonUnavailableError(f"lost the connection to the daemon ({type(exc).__name__})") from None

    # -- lifecycle -----------------------------------------------------------------------------

    async def is_running(self) -> bool:
        """Whether a daemon answers on the socket now."""
        try:
            await self._send("GET", "/api/health")
        except DaemonUnavailableError:
            return False
        return True

    async def ensure_daemon(self) -> None:
        """Start a daemon unless one answers; safe when several clients race to do it."""
        if await self.is_running():
            return
        lock_dir = ensure_private_dir(self.socket.parent)
        with open(lock_dir / f"{self.socket.name}.start.lock", "w") as lock:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise DaemonUnavailableError("timed out waiting for another client to start the daemon") from None
                    await asyncio.sleep(0.05)
            try:
                if await self.is_running():  # the client that held the lock started it
                    return
                await self._spawn_and_wait()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    async def _spawn_and_wait(self) -> None:
        data = ensure_private_dir(self.data_dir or default_data_dir())
        log_path = ensure_private_file(data / "daemon.log")
        args = [sys.executable, "-m", "daemon", "daemon", "--socket", str(self.socket)]
        if self.data_dir:
            args += ["--data-dir", str(self.data_dir)]
        args += list(self.daemon_args)
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-800:]
                raise DaemonUnavailableError(f"the daemon exited at start (code {process.returncode}); log {log_path}:\n{tail}")
            if await self.is_running():
                return
            await asyncio.sleep(0.05)
        raise DaemonUnavailableError(f"the daemon did not answer within {START_TIMEOUT:.0f}s; see {log_path}")

    # -- typed API -----------------------------------------------------------------------------

    async def health(self) -> Health:
        """``GET /api/health``."""
        return await self._typed(Health, "GET", "/api/health")

    async def status(self) -> Status:
        """``GET /api/status``."""
        return await self._typed(Status, "GET", "/api/status")

    async def add_developer(self, name: str, *, admin: bool = False) -> DeveloperCreated:
        """Create a developer; the key in the answer is shown this once."""
        body = DeveloperCreate(name=name, admin=admin).model_dump()
        return await self._typed(DeveloperCreated, "POST", "/api/developers", json=body)

    async def new_key(self, name: str) -> DeveloperCreated:
        """Another key for an existing developer (admin), shown this once."""
        from urllib.parse import quote

        return await self._typed(DeveloperCreated, "POST", f"/api/developers/{quote(name, safe='')}/keys")

    async def revoke_keys(self, name: str) -> KeysRevoked:
        """Revoke every key of a developer (admin)."""
        from urllib.parse import quote

        return await self._typed(KeysRevoked, "DELETE", f"/api/developers/{quote(name, safe='')}/keys")

    async def list_developers(self) -> list[DeveloperInfo]:
        """Every developer (admin) or just me."""
        payload = await self.request("GET", "/api/developers")
        return [DeveloperInfo.model_validate(d) for d in payload["developers"]]

    async def ask(self, request: AskRequest) -> AskResponse:
        """Route and run one prompt."""
        return await self._typed(AskResponse, "POST", "/api/ask", json=request.model_dump())

    async def traces(self, **filters: Any) -> TraceList:
        """Recent traces; filters: developer, model, surface, outcome, since, limit, all."""
        return await self._typed(TraceList, "GET", "/api/traces", params=filters)

    async def trace(self, trace_id: str) -> TraceDetail:
        """One trace in full."""
        return await self._typed(TraceDetail, "GET", f"/api/traces/{trace_id}")

    def ask_stream(self, request: AskRequest) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """Route and run one prompt, streaming: ``("delta", {"text"})``... then ``("done", AskResponse)``."""
        return self.sse("POST", "/api/ask", json=request.model_copy(update={"stream": True}).model_dump())

    async def route(self, request: RouteRequest) -> DecisionInfo:
        """The routing decision for a prompt, without calling a model."""
        return await self._typed(DecisionInfo, "POST", "/api/route", json=request.model_dump())

    async def consensus(self, request: ConsensusRequest) -> ConsensusResponse:
        """Ask several models and compare their answers."""
        return await self._typed(ConsensusResponse, "POST", "/api/consensus", json=request.model_dump())

    async def feedback(self, request: FeedbackRequest) -> FeedbackResponse:
        """Rate a trace's result (feeds the routing matrix)."""
        return await self._typed(FeedbackResponse, "POST", "/api/feedback", json=request.model_dump())

    async def matrix(self, *, task_type: str | None = None, model: str | None = None) -> MatrixInfo:
        """The routing matrix, optionally filtered."""
        return await self._typed(MatrixInfo, "GET", "/api/matrix", params={"task_type": task_type, "model": model})

    async def reviews(self, *, status: str = "open") -> list[ReviewInfo]:
        """Consensus disagreements waiting for a person."""
        payload = await self.request("GET", "/api/reviews", params={"status": status})
        return [ReviewInfo.model_validate(r) for r in payload["reviews"]]

    async def resolve_review(self, review_id: int, chosen_index: int | None) -> ReviewInfo:
        """Pick an answer of a review item (None dismisses it)."""
        body = ReviewResolve(chosen_index=chosen_index).model_dump()
        return await self._typed(ReviewInfo, "POST", f"/api/reviews/{review_id}", json=body)

    async def run_eval(self, request: EvalRequest) -> EvalResult:
        """Run the evaluation job now."""
        return await self._typed(EvalResult, "POST", "/api/eval", json=request.model_dump())

    async def budget(self, *, developer: str | None = None, all: bool = False) -> BudgetStatus:
        """Budgets: mine, one developer's, or all (admin)."""
        params = {"developer": developer, "all": "1" if all else None}
        return await self._typed(BudgetStatus, "GET", "/api/budget", params=params)

    async def set_budget(self, request: BudgetSet) -> BudgetStatus:
        """Set a developer's or team's budget (admin)."""
        return await self._typed(BudgetStatus, "PUT", "/api/budget", json=request.model_dump())

    async def metrics(self, window: str = "24h", *, all: bool = False) -> Metrics:
        """Dashboard figures over a window (mine, or everyone's for an admin with ``all``)."""
        return await self._typed(Metrics, "GET", "/api/metrics", params={"window": window, "all": "1" if all else None})

    async def savings(self, window: str = "7d", *, all: bool = False, baseline: str | None = None) -> Savings:
        """Spend against sending everything to the baseline model, with the quality evidence."""
        params = {"window": window, "all": "1" if all else None, "baseline": baseline}
        return await self._typed(Savings, "GET", "/api/savings", params=params)

    async def demo_faults(self, model: str, faults: list[dict[str, Any]]) -> None:
        """Demo mode: queue faults on a simulated model (``daemon.sim.faults`` kinds)."""
        await self.request("POST", "/api/demo/faults", json=DemoFaults(model=model, faults=faults).model_dump())

    async def demo_clear_faults(self, model: str | None = None) -> None:
        """Demo mode: forget the faults still queued (for one simulated model, or all)."""
        await self.request("DELETE", "/api/demo/faults", params={"model": model})

    async def demo_profile(self, model: str, **changes: Any) -> None:
        """Demo mode: change how a simulated model behaves (``daemon.sim.profiles`` fields)."""
        await self.request("POST", "/api/demo/profiles", json=DemoProfile(model=model, changes=changes).model_dump())

    async def events(self) -> AsyncIterator[Event]:
        """Follow the daemon's live events (traces, budget crossings, circuit changes, reviews)."""
        async for _, data in self.sse("GET", "/api/events"):
            yield Event.model_validate(data)

    async def complete(self, request: CompleteRequest) -> CompleteResponse:
        """A code completion for the editor."""
        return await self._typed(CompleteResponse, "POST", "/api/complete", json=request.model_dump())

    def complete_stream(self, request: CompleteRequest) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """A streamed code completion; closing the iterator cancels it at the provider."""
        return self.sse("POST", "/api/complete", json=request.model_copy(update={"stream": True}).model_dump())


__all__ = ["DaemonClient", "DaemonUnavailableError", "SwitchboardError"]
