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
_CHOICE = re.compile(r"\n[ \t]*\(?[A-Ea-e][).:][ \t]+\S")
_CHOICE_PHRASES = ("which of the following", "choices:", "choice:", "options:", "option:")

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
    wordset = set(words)
    lines = body.splitlines() or [""]
    code_lines = sum(1 for line in lines if CODE_LINE.match(line))
    all_text_fences = sum(m.text.count("```") for m in msgs) // 2
    # Files and symbols count over the whole context (capped scan) because "how much code is in play"
    # is what makes an edit hard, wherever it was pasted.
    context = scan("\n".join(m.text for m in msgs)) if len(msgs) > 1 else body
    files = _count_files(context)
    symbols = len(_SNAKE.findall(context)) + min(context.count("("), 30) // 2
    commas = body.count(",")
    stripped = lower.strip()
    last_line = next((line for line in reversed(lines) if line.strip()), "")
    cues = dict.fromkeys(CUES, 0.0)
    for w in wordset:
        for group in _CUE_OF.get(w, ()):
            cues[group] += 1.0
    choices = len(_CHOICE.findall(body)) + sum(1 for p in _CHOICE_PHRASES if p in lower)
    math_marks = sum(body.count(mark) for mark in _MATH_MARKS)
    digits = sum(body.count(d) for d in "0123456789")

    def cue(name: str) -> float:
        return cues[name]

    feats = {
        "bias": 1.0,
        "log_chars": math.log1p(len(last)) / 10.0,
        "log_context_tokens": math.log1p(request.prompt_tokens) / 12.0,
        "turns": min(max(len(user_texts) - 1, 0), 20) / 10.0,
        "code_blocks": min(all_text_fences, 10) / 5.0,
        "code_lines": code_lines / len(lines),
        "files": min(files, 20) / 10.0,
        "symbols": min(symbols, 60) / 30.0,
        "reasoning": min(cue("reasoning"), 6.0) / 3.0,
        "math": min(cue("math"), 6.0) / 3.0,
        "math_symbols": min(math_marks, 20) / 10.0,
        "digits": digits / max(1, len(body)) * 10.0,
        "edit": min(cue("edit"), 4.0) / 2.0,
        "explain": min(cue("explain"), 4.0) / 2.0,
        "prose": min(cue("prose"), 4.0) / 2.0,
        "data": min(cue("data"), 4.0) / 2.0,
        "extract": min(cue("extract"), 4.0) / 2.0,
        "question": 1.0 if words and words[0] in CUES["question"] else 0.0,
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
