"""What the guard looks for: secrets, PII and prompt-injection markers, as compiled patterns.

Each secret pattern names its kind; counts per kind go into the trace, the values never do.
Patterns are anchored on the token shapes providers publish so ordinary prose and code rarely match.
"""

from __future__ import annotations

import re

SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private_key", re.compile(
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("anthropic_key", re.compile(r"\bsk-ant-(?:api|admin|oat)\d{2}-[A-Za-z0-9_\-]{20,}")),
    ("openai_key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}")),
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b")),
    ("aws_secret_key", re.compile(
        r"(?i)(?<=aws_secret_access_key)(\s*[=:]\s*[\"']?)[A-Za-z0-9/+=]{40}")),
    ("github_token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255})\b")),
    ("gitlab_token", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}")),
    ("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}")),
    ("stripe_key", re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
    ("huggingface_token", re.compile(r"\bhf_[A-Za-z0-9]{30,}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}")),
    ("bearer_token", re.compile(r"(?i)(?<=authorization: bearer )[A-Za-z0-9._~+/\-]{16,}=*")),
)
"""(kind, pattern): the whole match is the secret."""

SECRET_ANCHORS: dict[str, tuple[bool, tuple[str, ...]]] = {
    "private_key": (False, ("PRIVATE KEY",)),
    "anthropic_key": (False, ("sk-ant-",)),
    "openai_key": (False, ("sk-",)),
    "aws_access_key": (False, ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA")),
    "aws_secret_key": (True, ("aws_secret_access_key",)),
    "github_token": (False, ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    "gitlab_token": (False, ("glpat-",)),
    "slack_token": (False, ("xox",)),
    "stripe_key": (False, ("_live_", "_test_")),
    "google_api_key": (False, ("AIza",)),
    "huggingface_token": (False, ("hf_",)),
    "jwt": (False, ("eyJ",)),
    "bearer_token": (True, ("authorization: bearer ",)),
}
"""kind → (compare lower-cased, literals one of which every match of that kind contains): a
substring test skips a pattern that cannot match (the regex scans cost ~2-3 us each per text)."""

ENV_ASSIGNMENT = re.compile(
    r"(?im)^(\s*(?:export\s+)?[A-Z][A-Z0-9_]*(?:KEY|SECRET|TOKEN|PASSWORD|PASSWD|PWD|CREDENTIALS?|AUTH|DSN)"
    r"[A-Z0-9_]*\s*[=:]\s*[\"']?)([^\s\"'#]{6,})"
)
"""``.env``-style ``NAME_KEY=value`` lines: the value (group 2) is the secret, the name stays readable."""

EMAIL = re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b")
PHONE = re.compile(r"(?<![\w.])\+?\(?\d{1,4}\)?(?:[\s.\-]?\(?\d{2,4}\)?){2,4}(?!\w)(?!\.\d)")
CARD = re.compile(r"(?<!\d)\d(?:[ \-]?\d){12,18}(?!\d)")

INJECTION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ignore_instructions", re.compile(
        r"(?i)\b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}?\b(?:previous|prior|above|earlier|all|any|your)\b"
        r"[^.\n]{0,30}?\b(?:instructions?|prompts?|rules|directions|guidelines)\b")),
    ("role_override", re.compile(
        r"(?i)(?:\byou are now (?:a|an|in)\b|\bnew (?:system )?instructions?\s*:|^\s*system\s*:|<\|im_start\|>|\[INST\])",
        re.MULTILINE)),
    ("exfiltration", re.compile(
        r"(?i)\b(?:send|post|upload|exfiltrate|leak|forward|e-?mail|transmit|paste|curl|fetch)\b[^\n]{0,80}?"
        r"(?:api[_ \-]?keys?|secrets?|credentials?|passwords?|tokens?|env(?:ironment)? var(?:iable)?s?|\.env\b|"
        r"ssh keys?|private keys?|~/\.ssh|id_rsa)")),
    ("hidden_unicode", re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]")),
)
"""(kind, pattern) of text in tool results and retrieved content that tries to steer the model."""
