"""Robust verdict parsing and answer cleaning (pure functions)."""
from __future__ import annotations

import pytest

from a2a.llm import clean_answer, parse_verdict


@pytest.mark.parametrize("text, useful, reason", [
    ('{"useful": true, "reason": "narrows the colour"}', True, "narrows the colour"),
    ('{"useful": false, "reason": "already answered"}', False, "already answered"),
    ('```json\n{"useful": true, "reason": "r"}\n```', True, "r"),
    ('```\n{"useful": false}\n```', False, ""),
    ('Sure! Here is my verdict:\n{"useful": true, "reason": "asks about size"} Hope it helps.', True,
     "asks about size"),
    ('{"Useful": "yes", "Reason": "x"}', True, "x"),
    ('{"useful": "No"}', False, ""),
    ('{"is_useful": 1}', True, ""),
    ('{"verdict": {"useful": false, "reason": "nested"}}', False, "nested"),
    ('{"thoughts": "{not json", "useful": true}', True, ""),
    ("{'useful': True, 'reason': 'single quotes'}", True, None),
    ("useful: no -- the target is already known", False, None),
    ("Yes", True, ""),
    ("yes.", True, ""),
    ("No, the answer is already known.", False, "the answer is already known."),
    ("**No** - irrelevant", False, "irrelevant"),
    ("TRUE", True, ""),
    ("Not useful: it repeats question 1.", False, "it repeats question 1."),
    ("The robot already knows the colour, so this adds nothing.\nNo", False, None),
])
def test_parse_verdict_accepts(text, useful, reason):
    v = parse_verdict(text)
    assert v is not None and v.useful is useful
    if reason is not None:
        assert v.reason == reason


@pytest.mark.parametrize("text", [
    None, "", "   ", "I'm sorry, but I can't help with that.", "As an AI language model I cannot judge.",
    "The question might be useful or not, hard to say.", '{"reason": "no verdict key"}',
    '{"useful": "maybe"}', "asdkjh 12 ;;", "Nothing to add", "[1, 2, 3]", "None",
])
def test_parse_verdict_rejects(text):
    assert parse_verdict(text) is None


@pytest.mark.parametrize("text, expected", [
    ("On the dark table.", "On the dark table."),
    ("  Answer: The red one.  ", "The red one."),
    ('"It is in the kitchen."', "It is in the kitchen."),
    ("User: yes,\n  the small one", "yes, the small one"),
    ("", None),
    ("  ...  ", None),
    ("I'm sorry, but I can't role-play that.", None),
    ("As an AI, I do not have preferences.", None),
])
def test_clean_answer(text, expected):
    assert clean_answer(text, 300) == expected


def test_clean_answer_truncates_on_a_word_boundary():
    out = clean_answer("word " * 100, 23)
    assert out is not None and len(out) <= 23 and out.endswith("word")
