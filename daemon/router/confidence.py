"""How much to trust an answer, for the cascade's escalate-or-serve call.

Pure: the gateway hands over the answer text, what was asked (JSON? code?), the finish reason and
token logprobs when the provider returned them. Verifiers find concrete faults (code that does not
parse, invalid JSON, a refusal, an empty or truncated answer); logprobs give a soft signal. The
score is the logprob confidence (or a neutral 0.8 without logprobs) multiplied by a penalty per
finding, so one hard fault alone drops the answer below any sensible threshold.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

NEUTRAL = 0.8
"""Confidence of an answer with no logprobs and no findings: trusted, but not blindly."""

# Multipliers per finding: hard faults end the cascade's trust, soft ones only dent it.
PENALTIES: dict[str, float] = {
    "empty": 0.0,
    "truncated": 0.3,
    "refusal": 0.2,
    "invalid_json": 0.1,
    "code_syntax_error": 0.25,
    "low_token_probability": 0.7,
}

_FENCE = re.compile(r"```([\w+-]*)[^\n]*\n(.*?)```", re.S)
_REFUSAL = re.compile(
    r"\b(?:I(?:'m| am) (?:sorry|unable|not able)|I can(?:'|no)t (?:help|assist|do|provide|comply)|"
    r"I won'?t (?:help|be able)|as an AI(?: language model)?,? I|I must decline)",
    re.I,
)
_PYTHON_TAGS = {"python", "py", "python3", ""}


@dataclass(frozen=True, slots=True)
class Finding:
    """One verifier result: a stable kind and a human detail."""

    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class Confidence:
    """A score in [0, 1] and what lowered it."""

    score: float
    findings: tuple[Finding, ...]
    logprob_confidence: float | None = None

    def below(self, threshold: float) -> bool:
        """Whether the cascade should escalate at ``threshold``."""
        return self.score < threshold


def logprob_confidence(logprobs: Sequence[float]) -> tuple[float, float] | None:
    """(mean token probability, minimum token probability), or None without logprobs."""
    if not logprobs:
        return None
    probs = [math.exp(min(0.0, lp)) for lp in logprobs]
    return sum(probs) / len(probs), min(probs)


def code_blocks(text: str) -> list[tuple[str, str]]:
    """Fenced code blocks as (language tag, code)."""
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]


def python_parses(code: str) -> str | None:
    """None if ``code`` parses as Python, else the syntax error."""
    try:
        ast.parse(code)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    return None


def _json_error(text: str) -> str | None:
    body = text.strip()
    blocks = code_blocks(body)
    if blocks and not body.startswith(("{", "[")):
        body = blocks[0][1].strip()
    try:
        json.loads(body)
    except ValueError as exc:
        return str(exc)
    return None


def verify(
    text: str, *, wants_json: bool = False, expects_code: bool = False, finish_reason: str | None = None
) -> list[Finding]:
    """Concrete faults of an answer."""
    findings: list[Finding] = []
    if not text.strip():
        return [Finding("empty", "the answer is empty")]
    if finish_reason == "length":
        findings.append(Finding("truncated", "the answer stopped at the token limit"))
    if _REFUSAL.search(text[:400]):
        findings.append(Finding("refusal", "the model declined to answer"))
    if wants_json:
        err = _json_error(text)
        if err:
            findings.append(Finding("invalid_json", f"JSON was asked but the answer does not parse: {err}"))
    blocks = code_blocks(text)
    if expects_code and not blocks and "```" not in text:
        # A bare-code answer (no fences) is judged as Python only when it looks like Python.
        if re.search(r"^\s*(def|class|import|from)\s", text, re.M):
            blocks = [("python", text)]
    elif "```" in text and text.count("```") % 2 == 1:
        findings.append(Finding("truncated", "a code block is never closed"))
    for lang, code in blocks:
        if lang in _PYTHON_TAGS and (lang or _looks_python(code)):
            err = python_parses(code)
            if err:
                findings.append(Finding("code_syntax_error", f"Python code does not parse ({err})"))
                break
    return findings


def _looks_python(code: str) -> bool:
    return bool(re.search(r"^\s*(def|class|import|from|return|if|for|print)\b", code, re.M)) and "{" not in code


def estimate_confidence(
    text: str,
    *,
    logprobs: Sequence[float] | None = None,
    wants_json: bool = False,
    expects_code: bool = False,
    finish_reason: str | None = None,
) -> Confidence:
    """Confidence of one answer in [0, 1] with the findings behind it."""
    findings = verify(text, wants_json=wants_json, expects_code=expects_code, finish_reason=finish_reason)
    lp = logprob_confidence(logprobs or ())
    base = NEUTRAL
    lp_conf = None
    if lp is not None:
        mean_p, min_p = lp
        # Mean says how sure the model was overall; a very unlikely token often marks the error.
        lp_conf = 0.7 * mean_p + 0.3 * min(1.0, min_p * 4)
        base = lp_conf
        if min_p < 0.05:
            findings.append(Finding("low_token_probability", f"a token had probability {min_p:.3f}"))
    score = base
    for finding in findings:
        score *= PENALTIES.get(finding.kind, 0.5)
    return Confidence(score=max(0.0, min(1.0, score)), findings=tuple(findings), logprob_confidence=lp_conf)
