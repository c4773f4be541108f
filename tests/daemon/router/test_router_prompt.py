"""What the router reads of a request: the ask a person wrote, without agents' reminder blocks, with
the tool results that answer it; the instruction apart from the material it operates on."""

from __future__ import annotations

import time

from daemon.router.classify import classify
from daemon.router.features import extract, split_instruction
from daemon.router.prompt import PromptView, messages_from_wire, strip_wrappers
from daemon.router.types import Message, RouteRequest


def test_reminder_blocks_are_removed_from_the_ask() -> None:
    text = "<system-reminder>\nYou have 40 tools. Follow CLAUDE.md.\n</system-reminder>\nsay hello\n<context>x</context>"
    assert strip_wrappers(text) == "say hello"
    assert strip_wrappers("<system-reminder>unclosed says what it says") == "<system-reminder>unclosed says what it says"


def test_stripping_stays_linear_on_adversarial_input() -> None:
    small, large = "<system-reminder " * 20_000, "<system-reminder " * 160_000
    started = time.process_time()
    strip_wrappers(small)
    small_cost = time.process_time() - started
    started = time.process_time()
    strip_wrappers(large)
    assert time.process_time() - started < max(small_cost, 1e-3) * 8 * 4


def test_the_ask_is_the_last_human_turn_and_tool_results_after_it_are_context() -> None:
    request = RouteRequest(messages=(
        Message("system", "You are a coding agent. " * 400),
        Message("user", "Fix the failing test in tests/test_api.py"),
        Message("assistant", "Running the tests."),
        Message("tool", "Traceback (most recent call last):\n  File tests/test_api.py, line 3\nAssertionError"),
    ))
    view = PromptView.of(request)
    assert view.ask == "Fix the failing test in tests/test_api.py"
    assert view.tool_results.startswith("Traceback")
    assert view.system_chars == len("You are a coding agent. " * 400)
    feats = extract(request, view).feats
    assert feats["tool_trace"] == 1.0 and feats["files"] > 0 and feats["system"] > 0


def test_anthropic_tool_results_inside_a_user_turn_become_tool_messages() -> None:
    messages = messages_from_wire(
        [{"role": "user", "content": [{"type": "text", "text": "<system-reminder>r</system-reminder>"},
                                      {"type": "text", "text": "list the files"}]},
         {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "ls", "input": {}}]},
         {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1",
                                       "content": [{"type": "text", "text": "a.py\nb.py"}]}]}],
        system=[{"type": "text", "text": "You are Claude Code."}],
    )
    assert [m.role for m in messages] == ["system", "user", "assistant", "tool"]
    assert messages[3].text == "a.py\nb.py"
    assert PromptView.of(RouteRequest(messages=messages)).ask == "list the files"


def test_material_weighs_less_than_the_instruction() -> None:
    pasted = "```tsx\n" + "\n".join(f"const field{i} = props.invoiceList[{i}];" for i in range(150)) + "\n```"
    instruction, material = split_instruction("Rename invoiceList to invoices.\n" + pasted,
                                              ("Rename invoiceList to invoices.\n" + pasted).splitlines())
    assert instruction == "Rename invoiceList to invoices."
    assert material > 3000
    rename = classify(RouteRequest.from_prompt("Rename the prop invoiceList to invoices in this file:\n" + pasted))
    design = classify(RouteRequest.from_prompt(
        "Design exactly-once settlement across the ledger and payment services, analyze failure modes of "
        "crashes and retries, and keep the public API backward compatible."))
    assert rename.complexity < design.complexity


def test_a_csv_is_material_but_a_sentence_with_commas_is_instruction() -> None:
    csv = "region,q1,q2,q3\nnorth,120,140,150\nsouth,90,70,60\nwest,200,210,220"
    ask = "Cover the trade-offs (audit, replay, schema evolution, read models, operational cost) in the doc."
    instruction, _ = split_instruction(csv + "\n" + ask, (csv + "\n" + ask).splitlines())
    assert instruction == ask
