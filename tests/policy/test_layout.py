"""Sequence layout: which token is where, masks and positions with ragged histories, the chat format."""

from __future__ import annotations

import pytest
import torch
from policy_helpers import ragged_inputs

from a2a.policy import EpisodeHistory, PolicyInput, PromptFormat, Step
from a2a.policy.sequence import ACTION, FRAME, PAD, PAST_ACTION, TEXT


def _kinds_runs(kinds: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for k in kinds:
        if runs and runs[-1][0] == k:
            runs[-1] = (k, runs[-1][1] + 1)
        else:
            runs.append((k, 1))
    return runs


def test_single_prompt_layout(policy, envs):
    frames = policy.encode_frames(envs.frames())
    h = EpisodeHistory("Bring the cup and place it on the coffee table.")
    h.observe(frames[0], "")
    h.record("navigate(kitchen counter)")
    h.observe(frames[1], "Answer: Yes.")
    h.record("ask(is it red?)")
    inp = h.observe(frames[2], "That action was invalid.")
    b = policy.build([inp])
    k = policy.tokens_per_frame
    ids = b.input_ids[0].tolist()
    kinds = b.kinds[0].tolist()
    enc = policy.builder.encode
    fmt = policy.format

    # reconstruct the expected ids segment by segment
    expect = list(enc(fmt.header(inp.instruction)))
    exp_kinds = [TEXT] * len(expect)
    for step in inp.steps[:-1]:
        for seg, kind in ((enc(fmt.user_open(step.feedback)), TEXT), ([policy.image_token_id] * k, FRAME),
                          (enc(fmt.user_close_assistant_open), TEXT),
                          (list(enc(step.action)) + [policy.terminal_id], PAST_ACTION), (enc("\n"), TEXT)):
            expect += list(seg)
            exp_kinds += [kind] * len(seg)
    for seg, kind in ((enc(fmt.user_open(inp.steps[-1].feedback)), TEXT), ([policy.image_token_id] * k, FRAME),
                      (enc(fmt.user_close_assistant_open), TEXT)):
        expect += list(seg)
        exp_kinds += [kind] * len(seg)
    assert ids == expect
    assert kinds == exp_kinds
    # three frames of k tokens, in order; the last token opens the assistant turn
    assert [r for r in _kinds_runs(kinds) if r[0] == FRAME] == [(FRAME, k)] * 3
    assert len(b.frames) == 3 and b.frames == [frames[0], frames[1], frames[2]]
    assert b.slot_frame.tolist() == [0, 1, 2]
    starts = [i for i in range(len(kinds)) if kinds[i] == FRAME and (i == 0 or kinds[i - 1] != FRAME)]
    assert b.slot_row.tolist() == starts
    assert policy.tokenizer.decode(ids[-len(enc(fmt.user_close_assistant_open)):]) == "<|im_end|>\n<|im_start|>assistant\n"
    # the text is the documented ChatML layout
    text = policy.tokenizer.decode(ids)
    assert text == fmt.render(inp, frame_text="<image>" * k)
    assert text.startswith("<|im_start|>system\n") and "<|im_start|>user\nAnswer: Yes.\n<image>" in text
    assert "<|im_start|>assistant\nnavigate(kitchen counter)<|im_end|>\n" in text
    assert b.attention_mask.all() and b.position_ids[0].tolist() == list(range(len(ids)))


def test_ragged_batch_masks_positions(policy, envs):
    inputs, _ = ragged_inputs(policy, envs, past_steps=(0, 3, 1))
    b = policy.build(inputs)
    single = [policy.build([inp]) for inp in inputs]
    L = b.prompt_width
    assert L == max(s.width for s in single)
    for r, s in enumerate(single):
        n = s.width
        assert b.prompt_lengths[r].item() == n
        # left padding: pads first, then the row's own layout unchanged
        assert (b.attention_mask[r, : L - n] == 0).all() and (b.attention_mask[r, L - n:] == 1).all()
        assert (b.kinds[r, : L - n] == PAD).all()
        assert b.input_ids[r, L - n:].tolist() == s.input_ids[0].tolist()
        assert b.kinds[r, L - n:].tolist() == s.kinds[0].tolist()
        assert b.position_ids[r, L - n:].tolist() == list(range(n))
    # every frame slot points at a FRAME block of the right row, and frames are deduplicated
    k = b.tokens_per_frame
    flat_kinds = b.kinds.reshape(-1)
    rows = b.slot_token_rows()
    assert (flat_kinds[rows] == FRAME).all()
    assert int((flat_kinds == FRAME).sum()) == rows.numel() == k * sum(len(i.steps) for i in inputs)
    assert len(b.frames) == len({id(s.frame) for i in inputs for s in i.steps})
    for slot in range(b.slot_row.numel()):
        row = int(b.slot_row[slot]) // b.width
        assert b.frames[int(b.slot_frame[slot])] in [s.frame for s in inputs[row].steps]


def test_score_layout_appends_actions(policy, envs):
    inputs, vocabs = ragged_inputs(policy, envs, past_steps=(1, 0, 2))
    acts = [vocabs[0][0], vocabs[1][-1], vocabs[2][5]]
    toks = [policy.trie(v).path(a)[0][:-1] for v, a in zip(vocabs, acts)]
    b = policy.build(inputs, toks)
    L = b.prompt_width
    for r, t in enumerate(toks):
        n = len(t)
        assert b.input_ids[r, L:L + n].tolist() == t
        assert (b.kinds[r, L:L + n] == ACTION).all() and (b.kinds[r, L + n:] == PAD).all()
        assert (b.attention_mask[r, L:L + n] == 1).all() and (b.attention_mask[r, L + n:] == 0).all()
        p = b.prompt_lengths[r].item()
        assert b.position_ids[r, L:L + n].tolist() == list(range(p, p + n))


def test_max_past_steps_truncates(tiny_dir, envs):
    from policy_helpers import make_policy

    pol = make_policy(tiny_dir, max_past_steps=2)
    inputs, _ = ragged_inputs(pol, envs, past_steps=(5,))
    b = pol.build(inputs)
    assert int((b.kinds == FRAME).sum()) == 3 * pol.tokens_per_frame  # 2 past + current
    with pytest.raises(ValueError, match="max_past_steps"):
        pol.score_episodes([EpisodeHistory(inputs[0].instruction, list(inputs[0].steps[:-1]))], _[0])
    kept = inputs[0].steps[-3:-1]
    text = pol.tokenizer.decode(b.input_ids[0].tolist())
    for s in kept:
        assert s.action + "<|im_end|>" in text


def test_frame_tokens_land_in_their_slots(policy, envs):
    inputs, _ = ragged_inputs(policy, envs, past_steps=(2, 0))
    b = policy.build(inputs)
    with torch.no_grad():
        emb = policy.embed(b)
        tokens = policy.frame_tokens.compress(b.frames)  # [F, k, H]
        base = policy.embeddings(b.input_ids)
    H = emb.shape[-1]
    flat = emb.reshape(-1, H)
    for slot in range(b.slot_row.numel()):
        r0 = int(b.slot_row[slot])
        torch.testing.assert_close(flat[r0:r0 + b.tokens_per_frame], tokens[int(b.slot_frame[slot])].to(flat.dtype))
    text = (b.kinds != FRAME)
    torch.testing.assert_close(emb[text], base[text])


def test_policy_input_validation(policy, envs):
    f = policy.encode_frames(envs.frames()[:1])[0]
    with pytest.raises(ValueError):
        PolicyInput("x", ())
    with pytest.raises(ValueError):
        PolicyInput("x", (Step(f, "", "navigate(sofa)"),))  # current step must have no action
    with pytest.raises(ValueError):
        PolicyInput("x", (Step(f), Step(f)))  # past step without action
    h = EpisodeHistory("x")
    h.observe(f)
    with pytest.raises(RuntimeError):
        h.observe(f)


def test_chat_template_matches_prompt_format(policy):
    fmt = PromptFormat()
    msgs = [{"role": "system", "content": fmt.system_prompt}, {"role": "user", "content": "Bring the cup."}]
    rendered = policy.tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=False)
    assert rendered == fmt.header("Bring the cup.")


def test_prompt_window_keeps_the_last_past_steps():
    """max_past_steps keeps exactly min(len(past), max_past_steps) steps, the most recent ones."""
    from a2a.policy.history import FrameFeatures, PolicyInput, Step
    from a2a.policy.prompt import PastAction, PromptFormat

    import torch

    fmt = PromptFormat()
    frame = FrameFeatures(torch.zeros(2, 2, 4))
    for n_past in range(0, 7):
        steps = tuple(Step(frame, "", f"navigate(t{i})") for i in range(n_past)) + (Step(frame, "", None),)
        inp = PolicyInput("bring it", steps)
        for window in range(0, 6):
            kept = [s.action for s in fmt.segments(inp, window) if isinstance(s, PastAction)]
            want = [f"navigate(t{i})" for i in range(n_past)][max(0, n_past - window):] if window else []
            assert kept == want, (n_past, window, kept)


def test_embedding_a_suffix_equals_the_suffix_of_the_embedding(policy, envs):
    inputs, _ = ragged_inputs(policy, envs, past_steps=(2, 0, 1))
    b = policy.build(inputs)
    with torch.no_grad():
        full = policy.embed(b)
        for start in (1, b.prompt_width // 2, b.prompt_width - 3):  # cuts through frame slots too
            torch.testing.assert_close(policy.embed(b, start=start), full[:, start:])
