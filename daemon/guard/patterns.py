"""What the guard looks for: secrets, PII and prompt-injection markers, as compiled patterns.

Each secret pattern names its kind; counts per kind go into the trace, the values never do.
Patterns are anchored on the token shapes providers publish so ordinary prose and code rarely match.

Every pattern runs in time linear in the text, whatever the text (a prompt is attacker-controlled
and the scan runs on the daemon's event loop). Python's ``re`` backtracks, so a pattern is linear
only if no start position can make it scan far and then fail while many other start positions
repeat that scan. The rules this file keeps to:

- an unbounded run is possessive (``*+``, ``++``) or followed by nothing that can fail;
- a pattern whose unbounded run could be re-entered from many start positions inside that run
  only starts at the beginning of the run (a look-behind on the run's own characters);
- ``\\s`` never sits after ``^`` (it would cross lines, and every line start would rescan them);
- what cannot be said linearly in one regex (a private key's BEGIN ... END span, a card number
  inside a longer run of digit groups) is scanned in code (``redact.py``).

``tests/daemon/guard/test_linear.py`` fuzzes every pattern with adversarial inputs and asserts this.
"""

from __future__ import annotations

import re

PRIVATE_KEY_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]++ ){0,8}PRIVATE KEY(?: BLOCK)?-----")
PRIVATE_KEY_END = re.compile(r"-----END (?:[A-Z0-9]++ ){0,8}PRIVATE KEY(?: BLOCK)?-----")
BLANK_LINE = re.compile(r"\n[ \t\r]*+(?:\n|\Z)")
"""A private key whose END line is missing is redacted up to the next blank line (or the end)."""

SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("anthropic_key", re.compile(r"sk-ant-(?<!\w.{7})(?:api|admin|oat)\d{2}-[A-Za-z0-9_\-]{20,}")),
    ("openai_key", re.compile(r"sk-(?<!\w.{3})(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}")),
    ("aws_access_key", re.compile(r"(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)(?<!\w.{4})[A-Z0-9]{16}\b")),
    ("aws_secret_key", re.compile(r"(?i)(aws_secret_access_key\s*+[=:]\s*+[\"']?)[A-Za-z0-9/+=]{40}")),
    ("github_token", re.compile(
        r"(?:gh[pousr]_(?<!\w.{4})[A-Za-z0-9]{36,255}|github_pat_(?<!\w.{11})[A-Za-z0-9_]{50,255})\b")),
    ("gitlab_token", re.compile(r"glpat-(?<!\w.{6})[A-Za-z0-9_\-]{20,}")),
    ("slack_token", re.compile(r"xox[abposr]-(?<!\w.{5})[A-Za-z0-9\-]{10,}")),
    ("stripe_key", re.compile(r"(?:sk|rk|pk)_(?:live|test)_(?<!\w.{8})[A-Za-z0-9]{16,}")),
    ("google_api_key", re.compile(r"AIza(?<!\w.{4})[0-9A-Za-z_\-]{35}")),
    ("huggingface_token", re.compile(r"hf_(?<!\w.{3})[A-Za-z0-9]{30,}")),
    # The header segment stops before a "-eyJ" (where the next candidate starts): otherwise each
    # "-eyJ" of "-eyJ-eyJ-eyJ..." would rescan the rest of the run. A real header never holds one.
    ("jwt", re.compile(
        r"eyJ(?<!\w.{3})(?=[A-Za-z0-9_\-]{8})(?:[A-Za-z0-9_]++|-(?!eyJ))*+\.eyJ[A-Za-z0-9_\-]{8,}+\.[A-Za-z0-9_\-]{8,}")),
    ("bearer_token", re.compile(r"(?i)(authorization: bearer )[A-Za-z0-9._~+/\-]{16,}=*")),
)
"""(kind, pattern): the whole match is the secret (a pattern with a group keeps group 1). Private
keys are found by ``PRIVATE_KEY_BEGIN``/``PRIVATE_KEY_END`` in code.

A token's literal start comes first and the word boundary before it is a look-behind after it
(``sk-(?<!\\w.{3})`` is ``\\bsk-``): a pattern that starts with a literal is searched for that literal
(~1 ns a character), one that starts with ``\\b`` is tried at every position (~20 ns)."""

SECRET_ANCHORS: dict[str, tuple[bool, tuple[str, ...]]] = {
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
    r"(?im)^([ \t]*+(?:export[ \t]++)?"
    r"(?=[A-Z][A-Z0-9_]*?(?:KEY|SECRET|TOKEN|PASSWORD|PASSWD|PWD|CREDENTIALS?|AUTH|DSN))"
    r"[A-Z][A-Z0-9_]*+\s*+[=:]\s*+[\"']?)([^\s\"'#]{6,})"
)
"""``.env``-style ``NAME_KEY=value`` lines: the value (group 2) is the secret, the name stays readable.
The name is matched once (possessive) after a look-ahead finds the key word in it: a name matched
by ``[A-Z0-9_]*(?:KEY|...)[A-Z0-9_]*`` backtracks quadratically over "KEYKEYKEY..."."""

EMAIL_DOMAIN = re.compile(r"@[A-Za-z0-9\-]++\.")
"""Text without an ``@`` followed by a domain label and a dot holds no address (``@decorator`` lines)."""
EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-](?<![A-Za-z0-9._%+\-].)(?:(?<=[A-Za-z0-9])|[._%+\-]*+[A-Za-z0-9])"
    r"[A-Za-z0-9._%+\-]*+@(?:[A-Za-z0-9\-]++\.)+[A-Za-z]{2,}\b")
EMAIL_GLUED = re.compile(r"[._%+\-]*+[A-Za-z0-9][A-Za-z0-9._%+\-]*+@(?:[A-Za-z0-9\-]++\.)+[A-Za-z]{2,}\b")
"""An address is matched from where its run of local-part characters starts (the leading punctuation
is kept by the redactor), so each run is read once: a word-boundary start let every letter of
"a.a.a.a..." rescan the run. The one address that starts inside a run is one glued to the end of the
previous address ("a@b.com-c@d.io"): ``EMAIL_GLUED`` is tried right there, once per address."""
PHONE = re.compile(
    r"[+(\d](?<![\w.].)(?:(?<=\+)\(?\d{1,4}|(?<=\()\d{1,4}|(?<=\d)\d{0,3})"
    r"\)?(?:[\s.\-]?\(?\d{2,4}\)?){2,4}(?!\w)(?!\.\d)")
"""``(?<![\\w.])\\+?\\(?\\d{1,4}...`` with its first character first (a character set is searched for;
a pattern starting with a look-behind is tried at every position)."""
CARD_RUN = re.compile(r"\d(?<!\d\d)(?:[ \-]?\d){12,}+")
"""A run of 13 or more digits in groups separated by one space or dash; the card numbers in it are
picked in code (``redact.py``): the whole run, or a window of whole groups inside it."""

# Injection markers are matched in lower-cased text (a case-insensitive alternation costs several
# times more). Those that span several words ("ignore ... previous ... instructions", "send ... the
# api keys") are found as separate words and paired in code (``injection.py``): as one regex with a
# bounded gap, each of "send send send ..." rescanned the next 80 characters (2 us a character).
# The word lists have no leading ``\b`` (tried at every position, it doubles their cost): the code
# checks the character before each match.
IGNORE_VERB = re.compile(r"(?:ignore|disregard|forget|override)\b")
IGNORE_WHICH = re.compile(r"(?:previous|prior|above|earlier|all|any|your)\b")
IGNORE_WHAT = re.compile(r"(?:instructions?|prompts?|rules|directions|guidelines)\b")
IGNORE_GAPS = (40, 30)
"""Most characters (no full stop, no newline) between verb and qualifier, and qualifier and object."""
EXFILTRATION_VERB = re.compile(r"(?:send|post|upload|exfiltrate|leak|forward|e-?mail|transmit|paste|curl|fetch)\b")
EXFILTRATION_TARGET = re.compile(
    r"(?:api[_ \-]?keys?|secrets?|credentials?|passwords?|tokens?|env(?:ironment)? var(?:iable)?s?"
    r"|\.env\b|ssh keys?|private keys?|~/\.ssh|id_rsa)")
EXFILTRATION_GAP = 80
"""Most characters (no newline) between the verb and what it would send."""

INJECTION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("role_override", re.compile(
        r"(?:you are now (?<!\w.{12})(?:a|an|in)\b|new (?<!\w.{4})(?:system )?instructions?\s*+:"
        r"|<\|im_start\|>|\[inst\])")),
    ("role_override", re.compile(r"^[ \t]*+system\s*+:", re.MULTILINE)),
    ("hidden_unicode", re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]")),
)
"""(kind, pattern) of single markers in lower-cased tool results and retrieved content (a kind may
have several patterns: literal-first alternatives are searched for, a ``^`` one is tried per line)."""
