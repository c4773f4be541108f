"""Configuration: shipped defaults merged with the user's file, validated into frozen models.

``config/default.toml`` documents every key. The user's file overrides it key by key. Anything
invalid is refused with the key path and the reason (``ConfigError``); the daemon keeps the last
good config when a live edit is bad.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from daemon.errors import ConfigError
from daemon.router.settings import RoutingSettings

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parents[2] / "config" / "default.toml"

Tier = Literal["small", "medium", "frontier"]
SURFACES = ("api", "mcp", "lsp", "cli")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def listen_address(address: str, allow_remote: bool) -> tuple[str, int]:
    """``host:port`` of the TCP listener, refused (``ValueError``) when malformed or, unless
    ``allow_remote``, not a loopback address: the one rule at start (``--http``) and on every reload."""
    host, _, port_text = address.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    try:
        port = int(port_text)
        is_loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        raise ValueError(f"{address!r} is not host:port (e.g. 127.0.0.1:7411)") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"{address!r}: port {port} is out of range (0-65535)")
    if not is_loopback and not allow_remote:
        raise ValueError(f"{host} is not a loopback address; set daemon.allow_remote = true to listen on it")
    return host, port


class DaemonSettings(_Frozen):
    """The daemon's listeners and lifecycle."""

    allow_remote: bool = False
    """Allow a non-loopback TCP address (declared before ``http``, whose check reads it)."""
    http: str = "127.0.0.1:7411"
    """Loopback TCP listener "host:port"; empty disables it."""
    drain_seconds: float = Field(30.0, ge=0)
    """Seconds SIGTERM waits for in-flight requests."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """Log level of the daemon."""
    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024)
    """Largest request body accepted, in bytes; a larger one is refused with 413 before it is read."""
    max_connections: int = Field(1024, ge=2)
    """Most TCP connections open at once."""
    max_unauthenticated_connections: int = Field(256, ge=1)
    """Of those, most that have not yet shown a valid developer key (the oldest give way to new ones)."""
    header_timeout: float = Field(10.0, gt=0)
    """Seconds a TCP connection has to send a request's headers."""
    body_timeout: float = Field(60.0, gt=0)
    """Seconds a TCP request has to send its body once its headers are in."""
    idle_timeout: float = Field(5.0, gt=0)
    """Seconds an idle keep-alive TCP connection stays open between requests."""
    max_header_bytes: int = Field(65_536, ge=1024)
    """Most bytes of request headers on TCP (431 past that)."""

    @field_validator("http")
    @classmethod
    def _loopback_unless_allowed(cls, http: str, info: ValidationInfo) -> str:
        if http:
            listen_address(http, bool(info.data.get("allow_remote")))
        return http

    @field_validator("max_unauthenticated_connections")
    @classmethod
    def _within_max_connections(cls, share: int, info: ValidationInfo) -> int:
        total = info.data.get("max_connections")
        if total is not None and share > total:
            raise ValueError(f"{share} is more than daemon.max_connections ({total}); it is a share of those")
        return share


class StoreSettings(_Frozen):
    """Where state lives."""

    url: str = ""
    """Empty: SQLite in the data dir. ``postgresql://...`` for a team store."""
    file_check_seconds: float = Field(5.0, gt=0)
    """How often the daemon checks that its SQLite file is still there (a deleted data dir is reported)."""


class GatewaySettings(_Frozen):
    """Timeouts, retries and circuit breaking for provider calls."""

    connect_timeout: float = Field(5.0, gt=0)
    """Seconds to open a connection."""
    first_token_timeout: float = Field(30.0, gt=0)
    """Seconds to the whole body of a call that is not streamed; also a stream's first-token limit on the
    last deployment a route has left (there is nothing to fail over to, so waiting is the better bet)."""
    stream_first_token_timeout: float = Field(10.0, gt=0)
    """Seconds a streamed call may take to its first byte before it fails over to the next deployment."""
    surface_first_token_timeout: dict[str, float] = {"lsp": 2.0, "mcp": 5.0}
    """``stream_first_token_timeout`` for interactive surfaces (the editor, coding agents): fail over sooner."""
    stall_timeout: float = Field(15.0, gt=0)
    """Seconds of silence between stream chunks that count as a stall."""
    total_timeout: float = Field(120.0, gt=0)
    """Seconds the whole call may take, all attempts included."""
    max_retries: int = Field(2, ge=0, le=10)
    """Retries of one deployment before failing over."""
    backoff_base: float = Field(0.25, ge=0)
    """First backoff in seconds (doubles, full jitter)."""
    backoff_max: float = Field(8.0, ge=0)
    """Cap on one backoff."""
    circuit_failures: int = Field(5, ge=1)
    """Consecutive failures that open a circuit."""
    circuit_reset_seconds: float = Field(30.0, gt=0)
    """Seconds before a half-open probe."""

    @field_validator("surface_first_token_timeout")
    @classmethod
    def _known_surfaces(cls, limits: dict[str, float]) -> dict[str, float]:
        for surface, seconds in limits.items():
            if surface not in SURFACES:
                raise ValueError(f"unknown surface {surface!r}; surfaces are {', '.join(SURFACES)}")
            if not seconds > 0:
                raise ValueError(f"{surface}: the timeout must be more than 0 seconds")
        return limits

    def stream_first_token(self, surface: str) -> float:
        """The first-byte limit of a streamed call from ``surface``."""
        return self.surface_first_token_timeout.get(surface, self.stream_first_token_timeout)


class GuardSettings(_Frozen):
    """What is scrubbed or scanned before a request leaves the machine."""

    redact_secrets: bool = True
    """Redact secrets for external models."""
    redact_pii: bool = True
    """Redact emails, phone and card numbers for external models."""
    injection: Literal["flag", "block", "off"] = "flag"
    """Prompt-injection scan of tool results: flag in the trace, block the request, or off."""
    scan_timeout: float = Field(30.0, gt=0)
    """Seconds the scan of a large request (run in a worker process, off the event loop) may take
    before the request is refused unsent."""


class BudgetSettings(_Frozen):
    """Budget periods and thresholds."""

    timezone: str = "UTC"
    """Time zone in which periods start."""
    soft_threshold: float = Field(0.8, gt=0, le=1)
    """Fraction past which the router steps down a tier."""
    critical_only_threshold: float | None = Field(0.95, gt=0, le=1)
    """Fraction past which only critical requests may use the frontier tier."""
    default_monthly_usd: float = Field(0.0, ge=0)
    """Monthly limit for new developers; 0 means none."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'UTC' or 'Europe/Paris'") from None
        return name


class TraceSettings(_Frozen):
    """What a trace keeps and for how long."""

    store_prompts: Literal["redacted", "hash", "none"] = "redacted"
    """How prompts and answers are kept."""
    max_stored_chars: int = Field(16_384, ge=256)
    """Most characters of a prompt, and of an answer, a trace keeps (the rest is cut, its length kept)."""
    retention_days: int = Field(30, ge=1)
    """Age past which traces are deleted."""
    max_traces: int = Field(200_000, ge=100)
    """Most traces kept."""
    otlp_endpoint: str = ""
    """OTLP/HTTP endpoint; empty is off."""


class EvaluationSettings(_Frozen):
    """The evaluation job: automated scorers and an optional judge model grade recent traces."""

    judge_model: str = ""
    """Configured model that grades a sample of answers with a rubric per task type; empty: verifiers only."""
    interval_minutes: float = Field(0.0, ge=0)
    """Run the job every this many minutes in the daemon; 0 runs it only on `switchboard eval`."""
    sample: int = Field(20, ge=1, le=1000)
    """Traces graded per run."""
    monthly_budget_usd: float = Field(5.0, ge=0)
    """What the judge may spend per month; it has a budget of its own, apart from any developer's."""
    shadow_rate: float = Field(0.25, ge=0, le=1)
    """Share of the sampled traces whose request is also sent to a second model (the next tier up or
    down from the one that answered) for the judge to compare the two answers; needs a judge model."""

    @property
    def shadow_share(self) -> float:
        """The shadow rate in force: none without a judge to compare the answers."""
        return self.shadow_rate if self.judge_model else 0.0


class LearningSettings(_Frozen):
    """What the router keeps of its own outcomes (every quality signal on a trace becomes one)."""

    max_outcomes: int = Field(50_000, ge=100, le=1_000_000)
    """Most outcomes kept, in the store and in memory; the oldest go first (retention runs hourly)."""


class ReportSettings(_Frozen):
    """What ``switchboard report`` and the dashboard's savings line compare the routed spend with."""

    baseline_model: str = ""
    """The model every request would otherwise have gone to (the counterfactual); empty: the usable
    frontier-tier model with the highest price, i.e. what a developer reaches for without a router."""


class ModelSettings(_Frozen):
    """One deployment the router may choose."""

    litellm_model: str
    """Provider-prefixed LiteLLM id, e.g. ``openai/gpt-4o-mini``."""
    kind: Literal["chat", "embedding"] = "chat"
    """``chat`` answers prompts (the router chooses among these); ``embedding`` turns text into vectors and
    serves ``/v1/embeddings`` only (priced by ``input_usd_per_mtok``)."""
    api_base: str = ""
    """Base URL for local servers and OpenAI-compatible hosts."""
    api_key_env: str = ""
    """Name of the environment variable holding the key; empty for keyless servers."""
    tier: Tier = "medium"
    """small, medium or frontier."""
    input_usd_per_mtok: float = Field(0.0, ge=0)
    """Price per million input tokens."""
    output_usd_per_mtok: float = Field(0.0, ge=0)
    """Price per million output tokens."""
    cache_read_usd_per_mtok: float | None = Field(None, ge=0)
    """Price per million cached input tokens read; default a tenth of the input price."""
    cache_write_usd_per_mtok: float | None = Field(None, ge=0)
    """Price per million input tokens written to the cache; default 1.25x the input price."""
    context_window: int = Field(8192, gt=0)
    """Tokens accepted, prompt and answer together."""
    capabilities: tuple[str, ...] = ("chat", "stream")
    """chat, stream, tools, json (JSON mode), json_schema (takes a JSON schema for its answer natively:
    OpenAI ``response_format``, Anthropic ``output_config.format``), fim, logprobs, vision, reasoning,
    prefill (continues an assistant message given last: what resuming a broken stream on this model needs)."""
    fallbacks: tuple[str, ...] = ()
    """Models to fail over to, in order."""
    enabled: bool = True
    """False removes the model from routing."""
    external: bool | None = None
    """Requests leave the machine (redaction applies). Default: true unless api_base is loopback."""
    quality: float | None = Field(None, ge=0, le=1)
    """A prior quality hint in [0, 1] for the routing matrix."""
    rpm: int | None = Field(None, gt=0)
    """Requests per minute this deployment may receive."""
    tpm: int | None = Field(None, gt=0)
    """Tokens per minute this deployment may receive."""
    simulated: bool = False
    """Served by Switchboard's simulated providers (demo mode)."""

    @property
    def provider(self) -> str:
        """The LiteLLM provider prefix (``openai``, ``anthropic``, ...)."""
        return self.litellm_model.split("/", 1)[0] if "/" in self.litellm_model else "openai"

    @model_validator(mode="after")
    def _embeddings_speak_openai(self) -> ModelSettings:
        if self.kind == "embedding" and self.provider == "anthropic":
            raise ValueError("an embedding model cannot be an anthropic/ one: Anthropic has no embeddings API; use "
                             "an OpenAI-format or a LiteLLM provider (openai/, voyage/, ollama/, ...)")
        return self

    @property
    def resumes(self) -> bool:
        """Whether a broken answer may be continued on this model (it supports assistant prefill)."""
        return "prefill" in self.capabilities

    @property
    def is_external(self) -> bool:
        """Whether requests to this model leave the machine."""
        if self.external is not None:
            return self.external
        base = self.api_base  # asked on every attempt: plain tests, no generator
        return not ("127.0.0.1" in base or "localhost" in base or "[::1]" in base)


class AliasSettings(_Frozen):
    """Where requests naming a model that matches an alias pattern go (``[aliases]``)."""

    to: str
    """``auto``, ``auto:<policy>`` or a configured model name."""
    hint: Literal["light", "heavy"] | None = None
    """What the name says about the ask, for the router: ``light`` for an agent's small/background model
    (a cheap, fast answer will do), ``heavy`` for its strongest one."""

    @model_validator(mode="before")
    @classmethod
    def _target_alone(cls, value: Any) -> Any:
        # `"claude-*" = "auto"` is the short form of `"claude-*" = { to = "auto" }`.
        return {"to": value} if isinstance(value, str) else value


class Settings(_Frozen):
    """The whole configuration."""

    daemon: DaemonSettings = DaemonSettings()
    store: StoreSettings = StoreSettings()
    gateway: GatewaySettings = GatewaySettings()
    guard: GuardSettings = GuardSettings()
    budgets: BudgetSettings = BudgetSettings()
    traces: TraceSettings = TraceSettings()
    routing: RoutingSettings = RoutingSettings()
    evaluation: EvaluationSettings = EvaluationSettings()
    learning: LearningSettings = LearningSettings()
    report: ReportSettings = ReportSettings()
    models: dict[str, ModelSettings] = {}
    aliases: dict[str, AliasSettings] = {}
    """Glob patterns of model names clients send (agents' own ids) → where those requests go."""

    @model_validator(mode="after")
    def _alias_targets_exist(self) -> Settings:
        for pattern, alias in self.aliases.items():
            target = alias.to
            if target == "auto" or target in self.models:
                continue
            if target.startswith("auto:") and target.removeprefix("auto:") in self.routing.policies:
                continue
            raise ValueError(
                f"aliases.{pattern!r} goes to {target!r}, which is neither 'auto', 'auto:<policy>' "
                f"(policies: {', '.join(sorted(self.routing.policies))}) nor a configured model"
            )
        return self

    @field_validator("models")
    @classmethod
    def _fallbacks_exist(cls, models: dict[str, ModelSettings]) -> dict[str, ModelSettings]:
        for name, model in models.items():
            for fallback in model.fallbacks:
                if fallback not in models:
                    raise ValueError(f"model {name!r} names unknown fallback {fallback!r}")
        return models


def user_config_path() -> Path | None:
    """The user's config file from ``SWITCHBOARD_CONFIG`` or the XDG config dir, if it exists."""
    explicit = os.environ.get("SWITCHBOARD_CONFIG")
    if explicit:
        return Path(explicit)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    candidate = base / "switchboard" / "config.toml"
    return candidate if candidate.exists() else None


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base``: tables merge, other values replace."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_toml(path: Path) -> dict[str, Any]:
    """Parse one TOML file; every way reading it can fail is a ``ConfigError`` naming the file and why."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; create it or drop --config") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a directory, not a TOML file; put the file there instead") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (invalid byte at offset {exc.start}); "
                          "save the file as UTF-8 and try again") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror or exc}; check it and its permissions") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}; fix the syntax and try again") from None


def validate(raw: dict[str, Any], *, source: str) -> Settings:
    """Validate merged config data, naming the key path and reason of every problem."""
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path = ".".join(str(p) for p in err["loc"]) or "(top level)"
            reason = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                reason = "unknown key (check the spelling against config/default.toml)"
            problems.append(f"{path}: {reason}" if err["loc"] else reason)
        raise ConfigError(f"{source}: invalid config: " + "; ".join(problems), details={"problems": problems}) from None


def load_settings(path: Path | None = None, *, overlay: dict[str, Any] | None = None) -> Settings:
    """Load defaults, then the user's file (``path`` or the usual places), then ``overlay``."""
    raw = read_toml(DEFAULT_CONFIG_PATH)
    source = str(DEFAULT_CONFIG_PATH)
    user_path = path or user_config_path()
    if user_path is not None:
        raw = merge(raw, read_toml(user_path))
        source = str(user_path)
    if overlay:
        raw = merge(raw, overlay)
    return validate(raw, source=source)
