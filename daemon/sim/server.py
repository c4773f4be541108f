"""`SimServer`: the simulated provider as a real aiohttp server.

Serves OpenAI chat/legacy completions, Anthropic messages and `/v1/models` on every model, OpenAI
embeddings on embedding models, with the `/_sim/*` control endpoints (see `daemon.sim.control`) for when it runs in another process.
Nothing starts in the constructor; `start()`/`stop()` or `async with` own the listening socket.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from daemon.sim.control import control_routes
from daemon.sim.faults import Fault, FaultScript
from daemon.sim.log import RequestLog, RequestRecord
from daemon.sim.profiles import ModelProfile, instant_profiles
from daemon.sim.respond import Codec, Responder, dumps, error_response, fault_error
from daemon.sim.turns import NO_PREFILL_MESSAGE, SimError, build_reply
from daemon.sim.wire_anthropic import MessagesCodec, count_input_tokens
from daemon.sim.wire_embeddings import embeddings_body
from daemon.sim.wire_openai import ChatCodec, CompletionCodec

_CHAT, _COMPLETION, _MESSAGES = ChatCodec(), CompletionCodec(), MessagesCodec()


class SimServer:
    """Simulated OpenAI- and Anthropic-format providers with scripted faults and a request log.

    `profiles` defaults to the demo line-up made instant (no latency, no pacing), which is what
    tests want. `require_auth` makes requests without a key fail with each format's real 401.
    """

    def __init__(
        self,
        profiles: Iterable[ModelProfile] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        require_auth: bool = False,
        max_records: int = 10_000,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.ssl_context = ssl_context
        self.port = port
        self.require_auth = require_auth
        self.faults = FaultScript()
        self.log = RequestLog(max_records)
        self._profiles = {p.name: p for p in (instant_profiles() if profiles is None else profiles)}
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        """The aiohttp application (routes only; `start()` serves it)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.add_routes(
            [
                web.post("/v1/chat/completions", self._chat),
                web.post("/v1/completions", self._completion),
                web.post("/v1/messages", self._messages),
                web.post("/v1/messages/count_tokens", self._count_tokens),
                web.post("/v1/embeddings", self._embeddings),
                web.get("/v1/models", self._models),
                *control_routes(self),
            ]
        )
        return app

    async def start(self) -> None:
        """Listen on `host:port` (port 0 picks a free one, readable from `self.port`)."""
        self._stopping = asyncio.Event()
        # handler_cancellation: a client that goes away cancels its handler, which is how the
        # log learns about disconnects during a hang, a stall or the model's latency.
        self._runner = web.AppRunner(self.make_app(), handler_cancellation=True, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=self.ssl_context)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Release held requests (hang, stall), close every connection and stop listening."""
        if self._stopping is not None:
            self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SimServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:PORT` (the Anthropic `api_base`); `https` when it serves TLS."""
        return f"{'https' if self.ssl_context else 'http'}://{self.host}:{self.port}"

    @property
    def openai_base(self) -> str:
        """`url + "/v1"` (the OpenAI `api_base` / `base_url`)."""
        return f"{self.url}/v1"

    # -- profiles, faults, log ---------------------------------------------------------------

    @property
    def profiles(self) -> dict[str, ModelProfile]:
        """The current profiles by name (a copy)."""
        return dict(self._profiles)

    def set_profile(self, profile: ModelProfile) -> None:
        """Add a model, or replace the one with the same name."""
        self._profiles[profile.name] = profile

    def script(self, model: str, *faults: Fault) -> None:
        """Queue faults for `model`'s next requests, in order (see `daemon.sim.faults`)."""
        if model not in self._profiles:
            raise KeyError(f"unknown sim model {model!r}; known: {sorted(self._profiles)}")
        self.faults.add(model, *faults)

    def clear(self) -> None:
        """Forget every scripted fault and every logged request."""
        self.faults.clear()
        self.log.clear()

    @property
    def requests(self) -> list[RequestRecord]:
        """Every logged request, oldest first."""
        return self.log.records

    def requests_for(self, model: str) -> list[RequestRecord]:
        """Logged requests that named `model`."""
        return self.log.for_model(model)

    async def wait_for_request(
        self,
        predicate: Callable[[RequestRecord], bool] | None = None,
        *,
        model: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a default bound, so no test can wait forever
    ) -> RequestRecord:
        """The first logged request matching `predicate` (and `model`); TimeoutError after `timeout`."""
        return await self.log.wait_for(
            lambda r: (model is None or r.model == model) and (predicate is None or predicate(r)), timeout
        )

    async def wait_disconnected(self, model: str | None = None, *, timeout: float = 5.0) -> RequestRecord:  # noqa: ASYNC109
        """The first request whose client went away before its response was finished."""
        return await self.wait_for_request(lambda r: r.client_disconnected, model=model, timeout=timeout)

    async def wait_finished(self, model: str | None = None, *, count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until `count` requests (to `model`) have finished being handled."""
        await self.log.wait_for(
            lambda _: sum(1 for r in self.log.records if not r.open and (model is None or r.model == model)) >= count,
            timeout,
        )

    # -- handlers ----------------------------------------------------------------------------

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        return await self._generate(request, _CHAT)

    async def _completion(self, request: web.Request) -> web.StreamResponse:
        return await self._generate(request, _COMPLETION)

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        return await self._generate(request, _MESSAGES)

    async def _generate(self, request: web.Request, codec: Codec) -> web.StreamResponse:
        record = self.log.open_record(request.method, request.path, codec.wire, request.headers)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        record.connection = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else None
        rid = f"{codec.id_prefix}{record.id:06d}"
        responder = Responder(request, record, self.log, self._stopping or asyncio.Event())
        try:
            try:
                body = await self._admit(request, record)
                turn = codec.parse(body)
                record.stream = turn.stream
                profile = self._profile(record.model)
                if profile.kind != "chat":
                    raise SimError("invalid_request", 400, "This is not a chat model and thus not supported in "
                                   "this endpoint.", param="model")
                fault = self.faults.take(profile.name)
                record.fault = fault.kind if fault else None
                if fault is not None and fault.kind in ("reset", "hang"):
                    if fault.kind == "hang":
                        await responder.hold()
                    responder.drop(reset=fault.kind == "reset")
                    return web.Response()
                if fault is not None and fault.error_status is not None:
                    raise fault_error(fault, turn, profile)
                if turn.prefill and not profile.prefill:
                    raise SimError("invalid_request", 400, NO_PREFILL_MESSAGE)
                if turn.input_tokens > profile.context_window:
                    raise SimError(
                        "context_length", 400, detail={"tokens": turn.input_tokens, "limit": profile.context_window}
                    )
                reply = build_reply(turn, profile, fault.text if fault else None)
                record.reply_text = reply.full_text
                resp = await responder.send(codec, turn, profile, fault, reply, rid)
                return resp or web.Response()
            except SimError as error:
                return await self._send_now(request, record, error_response(codec, error, rid))
        except ConnectionResetError:
            self.log.finish(record, disconnected=True)
            return web.Response()
        except asyncio.CancelledError:
            self.log.finish(record, disconnected=not (self._stopping and self._stopping.is_set()))
            raise
        finally:
            self.log.finish(record)

    async def _admit(self, request: web.Request, record: RequestRecord) -> dict[str, Any]:
        """Read and check the JSON body; fills the record's body and model."""
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            record.body = raw.decode(errors="replace")
            raise SimError("invalid_request", 400, "We could not parse the JSON body of your request.") from None
        record.body = body
        if not isinstance(body, dict):
            raise SimError("invalid_request", 400, "The request body must be a JSON object.")
        if self.require_auth and not (record.has_authorization or record.has_api_key):
            raise SimError("authentication", 401)
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise SimError("invalid_request", 400, "model: Field required", param="model")
        record.model = model
        self.log.changed()
        return body

    def _profile(self, model: str | None) -> ModelProfile:
        profile = self._profiles.get(model or "")
        if profile is None:
            raise SimError("not_found", 404, detail={"model": model})
        return profile

    async def _send_now(self, request: web.Request, record: RequestRecord, resp: web.Response) -> web.Response:
        """Write a small complete response here, so the log knows it was delivered."""
        record.status = resp.status
        await resp.prepare(request)
        await resp.write_eof()
        record.bytes_sent += len(resp.body or b"")  # type: ignore[arg-type]
        self.log.finish(record, completed=True)
        return resp

    async def _count_tokens(self, request: web.Request) -> web.StreamResponse:
        record = self.log.open_record(request.method, request.path, "anthropic", request.headers)
        try:
            try:
                body = await self._admit(request, record)
                self._profile(record.model)
                payload = {"input_tokens": count_input_tokens(body)}
            except SimError as error:
                return await self._send_now(request, record, error_response(_MESSAGES, error, "count_tokens"))
            return await self._send_now(
                request, record, web.Response(body=dumps(payload), content_type="application/json")
            )
        finally:
            self.log.finish(record)

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        record = self.log.open_record(request.method, request.path, "openai", request.headers)
        try:
            try:
                body = await self._admit(request, record)
                profile = self._profile(record.model)
                fault = self.faults.take(profile.name)
                record.fault = fault.kind if fault else None
                if fault is not None and fault.error_status is not None:
                    raise SimError(fault.kind, fault.error_status, detail={"retry_after": fault.retry_after})  # type: ignore[arg-type]
                payload = embeddings_body(body, profile)
                if profile.latency_ms:
                    await asyncio.sleep(profile.latency_ms / 1000)
            except SimError as error:
                return await self._send_now(request, record, error_response(_CHAT, error, "embd-sim"))
            return await self._send_now(
                request, record, web.Response(body=dumps(payload), content_type="application/json")
            )
        finally:
            self.log.finish(record)

    async def _models(self, request: web.Request) -> web.Response:
        anthropic = "anthropic-version" in request.headers
        record = self.log.open_record(
            request.method, request.path, "anthropic" if anthropic else "openai", request.headers
        )
        names = sorted(self._profiles)
        if anthropic:
            data: dict[str, Any] = {
                "data": [
                    {"type": "model", "id": n, "display_name": n, "created_at": "2025-01-01T00:00:00Z"} for n in names
                ],
                "has_more": False,
                "first_id": names[0] if names else None,
                "last_id": names[-1] if names else None,
            }
        else:
            data = {
                "object": "list",
                "data": [{"id": n, "object": "model", "created": 0, "owned_by": "switchboard-sim"} for n in names],
            }
        return await self._send_now(request, record, web.Response(body=dumps(data), content_type="application/json"))
