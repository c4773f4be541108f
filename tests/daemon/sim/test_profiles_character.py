"""A simulated model's character: it may answer some prompts its own way, and be unsure of some."""

from __future__ import annotations

from daemon.sim.answers import answer_text
from daemon.sim.profiles import ModelProfile

PROMPTS = [f"question number {n}" for n in range(400)]


def test_by_default_every_model_gives_the_shared_answer_with_its_confidence() -> None:
    model = ModelProfile(name="m", confidence=0.7)
    assert {model.seed_for(p) for p in PROMPTS} == {""}
    assert {model.confidence_for(p) for p in PROMPTS} == {0.7}


def test_dissent_answers_that_share_of_prompts_its_own_way_and_always_the_same_way() -> None:
    model = ModelProfile(name="m", dissent=0.4)
    own = [p for p in PROMPTS if model.seed_for(p) != ""]
    assert 0.33 < len(own) / len(PROMPTS) < 0.47
    assert all(model.seed_for(p) == model.seed_for(p) for p in own)
    assert answer_text(own[0], model.seed_for(own[0])) != answer_text(own[0], "")
    other = ModelProfile(name="n", dissent=0.4)
    assert {p for p in PROMPTS if other.seed_for(p) != ""} != set(own)  # each model dissents on its own prompts


def test_confidence_spread_swings_per_prompt_within_its_bounds() -> None:
    model = ModelProfile(name="m", confidence=0.62, confidence_spread=0.45)
    values = [model.confidence_for(p) for p in PROMPTS]
    assert min(values) >= 0.17 - 1e-9 and max(values) <= 1.0
    assert 0.15 < sum(v < 0.43 for v in values) / len(values) < 0.4
