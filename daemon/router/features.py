"""Cheap, explainable prompt features: the classifier's only view of a request.

Every feature is a float computed with a few regex passes and ``str.count`` calls over a bounded
slice of the text (head and tail), so extraction costs the same for a 100k-token context as for a
page. Names are stable:
the shipped classifier weights (``classifier_weights.json``) refer to them.
"""

from __future__ import annotations

import math
import re

from daemon.router.types import RouteRequest

# Only the head and tail of a long prompt are scanned word by word: instructions sit at either end,
# and the middle of a pasted file adds cost without changing the task.
_HEAD_CHARS = 1500
_TAIL_CHARS = 500

# Regexes are chosen to start with a literal or a small character set, which the regex engine can
# skip to quickly: an alternation that can start anywhere costs ten times more on a long prompt.
WORD = re.compile(r"[a-z]{2,}")
_SNAKE = re.compile(r"_[A-Za-z]")
"""snake_case joints (with calls, counted separately): a cheap measure of code symbols in play."""
_FILE_EXT = re.compile(r"\.(?:py|pyi|js|jsx|ts|tsx|go|rs|java|kt|cc|cpp|hpp|cs|rb|php|swift|sql|sh|toml|ya?ml|json|md)\b")
_PATH_START = re.compile(r"[^\s'\"`(),:;<>\[\]{}=]*$")
CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from \S+ import|return\b|if .*:$|for .*:$|while .*:$|#include|public |private |"
    r"function |const |let |var |fn |func |package |@\w+|[}\])];?$|.*[;{]$|>>> |\"\"\"|\'\'\')"
)
_MATH_MARKS = ("$", "^", "\\frac", "\\sqrt", "\\cdot", "\\le", "\\ge", "=", "+", "*", "<", ">")
_ONE_CHAR_MARK_BYTES = "".join(m for m in _MATH_MARKS if len(m) == 1).encode("ascii")
_BACKSLASH_MARKS = tuple(m for m in _MATH_MARKS if len(m) > 1)
_DIGIT_BYTES = b"0123456789"
_CHOICE = re.compile(r"\n[ \t]*\(?[A-Ea-e][).:][ \t]+\S")
_CHOICE_PHRASES = ("which of the following", "choices:", "choice:", "options:", "option:")
_WHICH_OF_THE_FOLLOWING = _CHOICE_PHRASES[0]
assert all(":" in p for p in _CHOICE_PHRASES[1:]), "_choice_count skips the phrases when the prompt has no colon"

# Cue vocabularies. Kept small and generic on purpose: they should fire on any developer's prompt,
# not only on one benchmark's phrasing.
CUES: dict[str, frozenset[str]] = {
    "reasoning": frozenset(
        "why prove derive proof analyze analyse tradeoff tradeoffs trade optimal optimize design architecture "
        "concurrency deadlock race invariant complexity justify reason reasoning carefully deduce infer "
        "implications consequences evaluate compare constraint constraints clue clues determine".split()
    ),
    "math": frozenset(
        "solve equation integer integers probability sum product compute calculate how many number numbers "
        "digit digits prime remainder fraction ratio percent area volume triangle circle polynomial "
        "derivative integral matrix theorem real positive negative value expression simplify".split()
    ),
    "edit": frozenset(
        "refactor fix rewrite rename change convert migrate update modify replace add remove delete "
        "implement extract inline bug bugs error failing patch diff cleanup clean improve port".split()
    ),
    "explain": frozenset("explain explanation understand walk describe mean means meaning purpose does".split()),
    "prose": frozenset(
        "write draft essay story email poem blog sentence sentences paragraph letter article summarize "
        "summary tone rewrite announcement post haiku slogan description concepts using".split()
    ),
    "data": frozenset(
        "csv table tables dataframe pandas sql query column columns row rows dataset plot chart average "
        "median mean statistics aggregate join group spreadsheet excel".split()
    ),
    "extract": frozenset(
        "extract classify classification label labels categorize category identify list parse entities "
        "fields json yaml tag tags sentiment choose select option options correct answer".split()
    ),
    "question": frozenset("who what when where which how whom whose".split()),
}

_CUE_OF: dict[str, tuple[str, ...]] = {}
for _cue, _vocab in CUES.items():
    for _word in _vocab:
        _CUE_OF[_word] = (*_CUE_OF.get(_word, ()), _cue)
"""Word -> the cue groups it belongs to, so counting cues is one pass over the prompt's words."""
_QUESTION_WORDS = CUES["question"]

FEATURE_NAMES: tuple[str, ...] = (
    "bias",
    "log_chars",
    "log_context_tokens",
    "turns",
    "code_blocks",
    "code_lines",
    "files",
    "symbols",
    "reasoning",
    "math",
    "math_symbols",
    "digits",
    "edit",
    "explain",
    "prose",
    "data",
    "extract",
    "question",
    "question_mark",
    "choices",
    "comma_list",
    "lines",
    "ends_with_code",
    "log_max_output",
    "tools",
    "json",
    "fim",
    "surface_lsp",
    "surface_mcp",
)


def scan(text: str) -> str:
    """The head and tail of ``text`` that feature extraction reads."""
    if len(text) <= _HEAD_CHARS + _TAIL_CHARS:
        return text
    return text[:_HEAD_CHARS] + "\n" + text[-_TAIL_CHARS:]


def _count_files(text: str) -> int:
    """Distinct file names (``src/app.py``) mentioned in ``text``."""
    if "." not in text:  # every match starts with the extension's dot
        return 0
    names = set()
    for m in _FILE_EXT.finditer(text):
        head = _PATH_START.search(text, max(0, m.start() - 80), m.start())
        if head is not None and head.group():
            names.add(head.group() + m.group())
    return len(names)


def extract(request: RouteRequest) -> tuple[dict[str, float], list[str]]:
    """Named features of ``request`` plus the lower-cased words of the last user message (for learned weights)."""
    msgs = request.messages
    user_texts = [m.text for m in msgs if m.role == "user"]
    last = user_texts[-1] if user_texts else (msgs[-1].text if msgs else "")
    body = scan(last)
    lower = body.lower()
    words = WORD.findall(lower)
    n_words = max(1, len(words))
    lines = body.splitlines() or [""]
    code_lines = len(list(filter(CODE_LINE.match, lines)))
    # One message is the common case: count it directly rather than through a generator.
    fence_marks = last.count("```") if len(msgs) == 1 else sum(m.text.count("```") for m in msgs)
    all_text_fences = fence_marks // 2
    # Files and symbols count over the whole context (capped scan) because "how much code is in play"
    # is what makes an edit hard, wherever it was pasted.
    context = scan("\n".join(m.text for m in msgs)) if len(msgs) > 1 else body
    files = _count_files(context)
    symbols = (len(_SNAKE.findall(context)) if "_" in context else 0) + min(context.count("("), 30) // 2
    commas = body.count(",")
    stripped = lower.strip()
    last_line = _last_nonblank(lines)
    cues = _cue_counts(words)
    choices = _choice_count(body, lower)
    math_marks, digits = _mark_and_digit_counts(body)

    feats = {
        "bias": 1.0,
        "log_chars": math.log1p(len(last)) / 10.0,
        "log_context_tokens": math.log1p(request.prompt_tokens) / 12.0,
        "turns": min(max(len(user_texts) - 1, 0), 20) / 10.0,
        "code_blocks": min(all_text_fences, 10) / 5.0,
        "code_lines": code_lines / len(lines),
        "files": min(files, 20) / 10.0,
        "symbols": min(symbols, 60) / 30.0,
        "reasoning": min(cues["reasoning"], 6.0) / 3.0,
        "math": min(cues["math"], 6.0) / 3.0,
        "math_symbols": min(math_marks, 20) / 10.0,
        "digits": digits / max(1, len(body)) * 10.0,
        "edit": min(cues["edit"], 4.0) / 2.0,
        "explain": min(cues["explain"], 4.0) / 2.0,
        "prose": min(cues["prose"], 4.0) / 2.0,
        "data": min(cues["data"], 4.0) / 2.0,
        "extract": min(cues["extract"], 4.0) / 2.0,
        "question": 1.0 if words and words[0] in _QUESTION_WORDS else 0.0,
        "question_mark": 1.0 if stripped.endswith("?") else 0.0,
        "choices": min(choices, 5) / 5.0,
        "comma_list": min(commas / n_words, 1.0),
        "lines": min(len(lines), 200) / 100.0,
        "ends_with_code": 1.0 if (CODE_LINE.match(last_line) or last_line.strip() == "```") else 0.0,
        "log_max_output": math.log1p(request.max_output_tokens or 0) / 10.0,
        "tools": 1.0 if request.has_tools else 0.0,
        "json": 1.0 if request.wants_json else 0.0,
        "fim": 1.0 if request.is_fim else 0.0,
        "surface_lsp": 1.0 if request.surface == "lsp" else 0.0,
        "surface_mcp": 1.0 if request.surface == "mcp" else 0.0,
    }
    return feats, words


def _last_nonblank(lines: list[str]) -> str:
    for line in reversed(lines):
        if line.strip():
            return line
    return ""


def _cue_counts(words: list[str]) -> dict[str, float]:
    """How many distinct words of each cue group the prompt uses."""
    cues = dict.fromkeys(CUES, 0.0)
    for groups in filter(None, map(_CUE_OF.get, set(words))):
        for group in groups:
            cues[group] += 1.0
    return cues


def _choice_count(body: str, lower: str) -> int:
    """Lettered options (a line starting ``(A)``, ``b.``, ...) plus the choice phrases present.

    Each test is skipped when a character it needs is missing: option lines start after a newline,
    and every phrase but "which of the following" has a colon.
    """
    count = len(_CHOICE.findall(body)) if "\n" in body else 0
    if ":" in lower or _WHICH_OF_THE_FOLLOWING in lower:
        count += sum(1 for p in _CHOICE_PHRASES if p in lower)
    return count


def _mark_and_digit_counts(body: str) -> tuple[int, int]:
    """(math marks, digits) in ``body``: the sums of ``body.count`` over ``_MATH_MARKS`` and the ten digits.

    Counted by deleting the one-character marks and digits from the UTF-8 bytes (non-ASCII characters
    never encode to ASCII bytes), which is a single C pass each instead of 22 ``count`` calls.
    """
    data = body.encode("utf-8", "surrogatepass")
    digits = len(data) - len(data.translate(None, _DIGIT_BYTES))
    marks = len(data) - len(data.translate(None, _ONE_CHAR_MARK_BYTES))
    if "\\" in body:
        marks += sum(body.count(mark) for mark in _BACKSLASH_MARKS)
    return marks, digits
