"""The redactor's cheap pre-check answers exactly as the single alternation it replaced."""

from __future__ import annotations

import random
import re

from daemon.guard.redact import Redactor, _maybe_holds

REFERENCE = re.compile(r"[@\d]|sk-|sk_|rk_|pk_|AKIA|ASIA|gh[pousr]_|github_pat|glpat|xox|AIza|hf_|eyJ|BEGIN")
PIECES = ("sk-", "sk_", "rk_", "pk_", "AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "ghx_", "github_pat",
          "glpat", "xox", "AIza", "hf_", "eyJ", "BEGIN", "gh", "sk", "AKI", "s k-", "٣")


def test_precheck_matches_the_reference_on_random_text() -> None:
    rng = random.Random(7)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ _-.:#\n"
    checked = hits = 0
    for _ in range(50_000):
        text = "".join(rng.choice(alphabet) if rng.random() < 0.9 else rng.choice(PIECES)
                       for _ in range(rng.randint(0, 40)))
        expected = REFERENCE.search(text) is not None
        assert _maybe_holds(text) == expected, text
        checked += 1
        hits += expected
    assert 0 < hits < checked  # both answers were exercised


def test_text_without_any_sign_is_returned_as_is_and_a_key_is_still_found() -> None:
    redactor = Redactor()
    plain = "Budget fits latency code while in case a waits. Prose data holds that budget the team."
    assert redactor.text(plain) is plain
    assert "[REDACTED:openai_key]" in redactor.text("use sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv" + " please")
