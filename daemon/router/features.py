"""Cheap, explainable features of a request: what the classifier and the difficulty model read.

Every feature is a float computed with a few regex passes and ``str.count`` calls over a bounded
slice of the ask (see ``daemon.router.prompt``): its head and tail, so extraction costs the same
for a pasted 100k-token file as for a line. Names are stable: the difficulty weights
(``daemon/router/difficulty.py``) and traces refer to them.

The cue vocabularies are small and generic on purpose. They describe how developers phrase work
of any kind — what makes a request long, broad, constrained or deep — not one benchmark's wording.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from daemon.router.prompt import PromptView
from daemon.router.types import RouteRequest

# Only the head and tail of a long ask are scanned word by word: instructions sit at either end,
# and the middle of a pasted file adds cost without changing the task.
_HEAD_CHARS = 1500
_TAIL_CHARS = 500

# Regexes start with a literal or a small character set, which the regex engine skips to quickly.
WORD = re.compile(r"[a-z]{2,}")
_SNAKE = re.compile(r"_[A-Za-z]")
"""snake_case joints (with calls, counted separately): a cheap measure of code symbols in play."""
_FILE_EXT = re.compile(
    r"\.(?:py|pyi|js|jsx|ts|tsx|go|rs|java|kt|cc|cpp|hpp|cs|rb|php|swift|sql|sh|toml|ya?ml|json|md|tf|proto|vue)\b"
)
_PATH_START = re.compile(r"[^\s'\"`(),:;<>\[\]{}=]*$")
_COUNT_OF_FILES = re.compile(r"\b(\d{1,4}|two|three|four|five|six|seven|eight|nine|ten|several|many|multiple|all)"
                             r"\s+(?:\w+\s+)?(?:files|modules|services|packages|repos|repositories|endpoints|microservices)\b")
CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from \S+ import|return\b|if .*:$|for .*:$|while .*:$|#include|public |private |"
    r"function |const |let |var |fn |func |package |@\w+|[}\])];?$|.*[;{]$|>>> |\"\"\"|\'\'\')"
)
_LIST_ITEM = re.compile(r"\n[ \t]*(?:[-*•]|\d{1,2}[.)])[ \t]+\S")
_CHOICE = re.compile(r"\n[ \t]*\(?[A-Ea-e][).:][ \t]+\S")
_CHOICE_PHRASES = ("which of the following", "choices:", "choice:", "options:", "option:")
_TRACE_MARKS = ("Traceback (most recent call last)", "Exception", "Error:", "error:", "panic:", "FAILED", "at line")
_MATH_MARKS = ("$", "^", "\\frac", "\\sqrt", "\\cdot", "\\le", "\\ge", "=", "+", "*", "<", ">")
_ONE_CHAR_MARK_BYTES = "".join(m for m in _MATH_MARKS if len(m) == 1).encode("ascii")
_BACKSLASH_MARKS = tuple(m for m in _MATH_MARKS if len(m) > 1)
_DIGIT_BYTES = b"0123456789"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


CUES: dict[str, frozenset[str]] = {
    # What the request is about (the task-type rules read these).
    "math": _words(
        "solve equation equations integer integers probability sum product compute calculate how many number numbers "
        "digit digits prime remainder fraction ratio percent area volume triangle circle polynomial derivative "
        "integral matrix theorem lemma real positive negative value expression simplify"
    ),
    "edit": _words(
        "refactor fix rewrite rename change convert migrate update modify replace add remove delete implement "
        "extract inline bug bugs error failing patch diff cleanup clean improve port"
    ),
    "explain": _words("explain explanation understand walk describe mean means meaning purpose does"),
    "prose": _words(
        "write draft essay story email poem blog sentence sentences paragraph letter article summarize summarise "
        "summary tone rewrite announcement post haiku slogan description"
    ),
    "data": _words(
        "csv table tables dataframe pandas sql query column columns row rows dataset plot chart average median "
        "statistics aggregate join group spreadsheet excel"
    ),
    "extract": _words(
        "extract classify classification label labels categorize category identify list parse entities fields "
        "json yaml tag tags sentiment choose select option options"
    ),
    "question": _words("who what when where which how whom whose"),
    # How demanding it is (the difficulty model reads these).
    "reasoning": _words(
        "why prove proof derive analyze analyse tradeoff tradeoffs trade optimal optimize optimise design "
        "architecture architect concurrency concurrent deadlock race invariant invariants complexity justify "
        "reason reasoning rigorous rigorously formally deduce infer implications consequences evaluate compare "
        "root cause diagnose diagnosis investigate security vulnerability vulnerabilities threat scalability "
        "scalable distributed consistency consensus idempotent idempotency atomic atomically transactional "
        "algorithm asymptotic"
    ),
    "scope": _words(
        "across entire whole codebase repository repo monorepo system systems services microservices modules "
        "pipeline migration migrate end-to-end production multiple several every all architecture "
        "infrastructure cluster clusters"
    ),
    "constraint": _words(
        "must should without ensure keep preserve maintain guarantee stable backward backwards compatible "
        "compatibility while except unless only exactly constraint constraints requirement requirements "
        "edge cases"
    ),
    "depth": _words(
        "detailed thorough thoroughly comprehensive complete step-by-step exhaustive in-depth carefully "
        "production-ready robust plan strategy rollout"
    ),
    "debug": _words(
        "error errors exception traceback stacktrace crash crashes crashing fails failing failure broken bug "
        "bugs flaky intermittent leak leaks hang hangs timeout oom oomkilled segfault regression"
    ),
    "trivial": _words(
        "hello hi hey thanks thank ok okay yes no bye cheers please say ping test greet greeting"
    ),
}

_CUE_OF: dict[str, tuple[str, ...]] = {}
for _cue, _vocab in CUES.items():
    for _word in _vocab:
        _CUE_OF[_word] = (*_CUE_OF.get(_word, ()), _cue)
"""Word -> the cue groups it belongs to, so counting cues is one pass over the ask's words."""
_QUESTION_WORDS = CUES["question"]

FEATURE_NAMES: tuple[str, ...] = (
    "bias", "log_chars", "log_material", "words", "lines", "code_blocks", "code_lines", "files", "symbols", "ends_with_code",
    "list_items", "question", "question_mark", "choices", "digits", "math_symbols",
    "math", "edit", "explain", "prose", "data", "extract", "reasoning", "scope", "constraint", "depth", "debug",
    "trivial", "tool_trace", "turns", "log_context_tokens", "system", "tools", "log_max_output", "json", "fim",
    "surface_lsp", "surface_mcp",
)


def scan(text: str) -> str:
    """The head and tail of ``text`` that feature extraction reads."""
    if len(text) <= _HEAD_CHARS + _TAIL_CHARS:
        return text
    return text[:_HEAD_CHARS] + "\n" + text[-_TAIL_CHARS:]


def count_files(text: str) -> int:
    """Distinct file names (``src/app.py``) mentioned in ``text``, or a stated count ("14 files")."""
    named = 0
    if "." in text:  # every file-name match starts with the extension's dot
        names = set()
        for m in _FILE_EXT.finditer(text):
            head = _PATH_START.search(text, max(0, m.start() - 80), m.start())
            if head is not None and head.group():
                names.add(head.group() + m.group())
        named = len(names)
    stated = 0
    if "files" in text or "modules" in text or "services" in text or "repos" in text or "endpoints" in text:
        for m in _COUNT_OF_FILES.finditer(text.lower()):
            word = m.group(1)
            stated = max(stated, int(word) if word.isdigit() else _COUNT_WORDS.get(word, 3))
    return max(named, stated)


_COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
                "several": 4, "many": 6, "multiple": 3, "all": 6}


_FENCE = re.compile(r"```[^\n]*\n.*?(?:```|$)", re.S)


def split_instruction(body: str, lines: list[str]) -> tuple[str, int]:
    """(the instruction: the lines a person wrote to say what to do, characters of material).

    Material is what the ask operates on: fenced blocks, code lines, indented lines, data rows
    (three or more separators) and short list items ("- eggs"). How hard a request is depends on
    what its instruction asks far more than on how much material comes with it: renaming a prop
    in a pasted 200-line file is easy work.
    """
    text = _FENCE.sub("\n", body) if "```" in body else body
    rows = text.splitlines() if text is not body else lines
    kept: list[str] = []
    previous_commas = -1
    for i, line in enumerate(rows):
        stripped = line.strip()
        commas = line.count(",")
        if not stripped or line[:1] in (" ", "\t") or CODE_LINE.match(line):
            previous_commas = commas
            continue
        if _is_data_row(line, commas, previous_commas, rows[i + 1].count(",") if i + 1 < len(rows) else -1):
            previous_commas = commas
            continue
        previous_commas = commas
        if stripped[:1] in "-*•" and len(stripped.split()) <= 4:
            continue
        kept.append(stripped)
    instruction = "\n".join(kept)
    return instruction, max(0, len(body) - len(instruction))


def _is_data_row(line: str, commas: int, previous: int, following: int) -> bool:
    """A table or CSV row: tab or pipe separated, or comma separated like a neighbouring line, or
    mostly numbers. A sentence with a comma-separated list in it is not one."""
    if line.count("\t") >= 2 or line.count("|") >= 3:
        return True
    if commas >= 2 and commas in (previous, following):
        return True
    digits = sum(ch.isdigit() for ch in line)
    return commas >= 3 and digits * 3 >= len(line.replace(" ", ""))


class Extracted(NamedTuple):
    """What ``extract`` reads off a request."""

    feats: dict[str, float]
    words: list[str]
    """The lower-cased words of the ask (its scanned head and tail)."""
    instruction: str
    """The lines a person wrote to say what to do (see ``split_instruction``)."""


def extract(request: RouteRequest, view: PromptView | None = None) -> Extracted:
    """Named features of ``request``, the words of its ask and its instruction."""
    view = view or PromptView.of(request)
    ask = view.ask
    body = scan(ask)
    lower = body.lower()
    words = WORD.findall(lower)
    lines = body.splitlines() or [""]
    instruction, _ = split_instruction(body, lines)
    material = max(0, len(ask) - len(instruction))
    demand = _cue_counts(WORD.findall(instruction.lower())) if instruction is not body else None
    code_lines = len(list(filter(CODE_LINE.match, lines)))
    fences = ask.count("```") // 2
    # How much code is in play counts over the ask and the tool results that answer it: an agent's
    # "fix it" after reading a file is as big as the file.
    context = body if not view.tool_results else body + "\n" + view.tool_results
    files = count_files(context if not view.history else context + "\n" + view.history)
    symbols = (len(_SNAKE.findall(context)) if "_" in context else 0) + min(context.count("("), 30) // 2
    last_line = _last_nonblank(lines)
    cues = _cue_counts(words)
    # How demanding the ask is reads the instruction's words only: "all", "error" or "update" inside a
    # pasted file say nothing about the work asked.
    demand = demand or cues
    math_marks, digits = _mark_and_digit_counts(body)
    ask_tokens = max(1, (len(ask) + 3) // 4)
    extra_context = max(0, view.context_tokens - ask_tokens - 16)  # 16: a message's framing, not context
    tool_trace = 0.0
    if view.tool_results:
        tool_trace = 1.0 if any(mark in view.tool_results for mark in _TRACE_MARKS) else 0.5

    feats = {
        "bias": 1.0,
        "log_chars": math.log1p(len(instruction)) / 10.0,
        "log_material": math.log1p(material) / 10.0,
        "words": min(len(words), 400) / 100.0,
        "lines": min(len(lines), 200) / 100.0,
        "code_blocks": min(fences, 10) / 5.0,
        "code_lines": code_lines / len(lines),
        "files": min(files, 20) / 10.0,
        "symbols": min(symbols, 60) / 30.0,
        "ends_with_code": 1.0 if (CODE_LINE.match(last_line) or last_line.strip() == "```") else 0.0,
        "list_items": min(len(_LIST_ITEM.findall(body)) if "\n" in body else 0, 10) / 5.0,
        "question": 1.0 if words and words[0] in _QUESTION_WORDS else 0.0,
        "question_mark": 1.0 if lower.rstrip().endswith("?") else 0.0,
        "choices": min(_choice_count(body, lower), 5) / 5.0,
        "digits": digits / max(1, len(body)) * 10.0,
        "math_symbols": min(math_marks, 20) / 10.0,
        "math": min(cues["math"], 6.0) / 3.0,
        "edit": min(cues["edit"], 4.0) / 2.0,
        "explain": min(cues["explain"], 4.0) / 2.0,
        "prose": min(cues["prose"], 4.0) / 2.0,
        "data": min(cues["data"], 4.0) / 2.0,
        "extract": min(cues["extract"], 4.0) / 2.0,
        "reasoning": min(demand["reasoning"], 6.0) / 3.0,
        "scope": min(demand["scope"], 4.0) / 2.0,
        "constraint": min(demand["constraint"], 6.0) / 3.0,
        "depth": min(demand["depth"], 4.0) / 2.0,
        "debug": min(cues["debug"], 4.0) / 2.0,
        "trivial": min(demand["trivial"], 2.0) / 2.0 if len(instruction) <= 60 else 0.0,
        "tool_trace": tool_trace,
        "turns": min(view.turns, 20) / 10.0,
        "log_context_tokens": math.log1p(extra_context) / 10.0,
        "system": math.log1p(view.system_chars) / 10.0,
        "tools": 1.0 if request.has_tools else 0.0,
        "log_max_output": _log_max_output(request.max_output_tokens),
        "json": 1.0 if request.wants_json else 0.0,
        "fim": 1.0 if request.is_fim else 0.0,
        "surface_lsp": 1.0 if request.surface == "lsp" else 0.0,
        "surface_mcp": 1.0 if request.surface == "mcp" else 0.0,
    }
    return Extracted(feats, words, instruction)


AGENT_DEFAULT_MAX_TOKENS = 32_000
"""A cap this large is an agent's standing default (Claude Code sends 128,000 with "say hello"), not a
request for a long answer: it says nothing about the work."""


def _log_max_output(max_tokens: int | None) -> float:
    if not max_tokens or max_tokens >= AGENT_DEFAULT_MAX_TOKENS:
        return 0.0
    return math.log1p(max_tokens) / 10.0


def _last_nonblank(lines: list[str]) -> str:
    for line in reversed(lines):
        if line.strip():
            return line
    return ""


def _cue_counts(words: list[str]) -> dict[str, float]:
    """How many distinct words of each cue group the ask uses."""
    cues = dict.fromkeys(CUES, 0.0)
    for groups in filter(None, map(_CUE_OF.get, set(words))):
        for group in groups:
            cues[group] += 1.0
    return cues


def _choice_count(body: str, lower: str) -> int:
    """Lettered options (a line starting ``(A)``, ``b.``, ...) plus the choice phrases present."""
    count = len(_CHOICE.findall(body)) if "\n" in body else 0
    if ":" in lower or _CHOICE_PHRASES[0] in lower:
        count += sum(1 for p in _CHOICE_PHRASES if p in lower)
    return count


def _mark_and_digit_counts(body: str) -> tuple[int, int]:
    """(math marks, digits) in ``body``, each counted in one C pass over its UTF-8 bytes."""
    data = body.encode("utf-8", "surrogatepass")
    digits = len(data) - len(data.translate(None, _DIGIT_BYTES))
    marks = len(data) - len(data.translate(None, _ONE_CHAR_MARK_BYTES))
    if "\\" in body:
        marks += sum(body.count(mark) for mark in _BACKSLASH_MARKS)
    return marks, digits
