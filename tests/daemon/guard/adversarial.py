"""Adversarial inputs for the guard: texts built to make a backtracking pattern rescan what it read.

Each family repeats a unit (the start of some pattern, a near miss, a marker) between a prefix and
a suffix that may complete or spoil a match. Shared by the linearity fuzz test and
``bench/guard_scan.py``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """``prefix + unit * n + suffix``, cut to a size."""

    name: str
    unit: str
    prefix: str = ""
    suffix: str = ""

    def text(self, size: int) -> str:
        """The family's text of about ``size`` characters."""
        repeat = max(1, (size - len(self.prefix) - len(self.suffix)) // len(self.unit))
        return self.prefix + self.unit * repeat + self.suffix


FAMILIES = (
    # the cases: private key markers with and without text around, near-miss emails
    Family("private_key_markers", "-----BEGIN PRIVATE KEY-----"),
    Family("private_key_markers_text", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEF\n"),
    Family("private_key_begin_words", "-----BEGIN A B C D E F G H "),
    Family("private_key_end_only", "-----END PRIVATE KEY----- "),
    Family("private_key_unclosed", "-----BEGIN RSA PRIVATE KEY-----\n", suffix="-----END PUBLIC KEY-----"),
    Family("email_local_dots", "a.", suffix="@"),
    Family("email_local_run", "jane.doe-x+", suffix="@corp"),
    Family("email_at_runs", "a@"),
    Family("email_domain_labels", "b.", prefix="jane@", suffix="1"),
    Family("email_near_miss", "jane.doe@corp "),
    Family("email_dashes", "x@a-b.c-"),
    # tokens: prefixes repeated, glued so every start sees a long run
    Family("jwt_dashes", "-eyJ"),
    Family("jwt_two_segments", "eyJaaaaaaaaa.eyJ-"),
    Family("jwt_dots", "eyJ."),
    Family("openai_prefix", "sk-"),
    Family("anthropic_prefix", "sk-ant-api01-"),
    Family("github_pat_prefix", "github_pat_"),
    Family("slack_prefix", "xoxb-"),
    Family("stripe_prefix", "sk_live_"),
    Family("aws_prefix", "AKIA"),
    Family("aws_secret_spaces", "aws_secret_access_key   "),
    Family("bearer_prefix", "authorization: bearer "),
    # .env lines and role markers: line starts, blank lines, long names
    Family("newlines", "\n", suffix="API_KEY=x"),
    Family("blank_lines_with_spaces", "\n  \t", suffix="\nsystem:"),
    Family("env_name_keywords", "KEY", prefix="\n", suffix=" = nothing"),
    Family("env_lines", "A_KEY=\n"),
    # digits: card and phone shapes, near misses, windows
    Family("digits_spaced", "1 "),
    Family("digit_pairs", "12 "),
    Family("digit_quads", "4242 "),
    Family("digits_dashed", "1-"),
    Family("card_near_miss", "4242 4242 4242 4241 "),
    Family("card_after_digit", "1 4242 4242 4242 4242 "),
    Family("phone_parens", "(1"),
    Family("phone_plus", "+1 ("),
    Family("phone_near", "+44 20 7946 "),
    # injection: verbs and qualifiers without objects, and the reverse
    Family("send_verbs", "send ", suffix="tokens"),
    Family("send_lines", "send tokens\n"),
    Family("ignore_verbs", "ignore all ", suffix="instructions"),
    Family("ignore_dense", "ignore all instructions. "),
    Family("you_are_now", "you are now "),
    Family("markers", "[REDACTED:email] "),
    Family("mixed_starts", "sk-a@b.eyJ-1 ("),
)


def random_family(rng: random.Random) -> Family:
    """A random mix: one to three units of the families glued into one unit, with a random end."""
    pieces = [rng.choice(FAMILIES) for _ in range(rng.randint(1, 3))]
    unit = "".join(piece.unit for piece in pieces)
    suffix = rng.choice(["", "@x.com", "-----END PRIVATE KEY-----", "\nTOKEN=abcdefgh", " instructions", "4242"])
    return Family("+".join(piece.name for piece in pieces), unit, suffix=suffix)
