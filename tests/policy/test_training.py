"""Training support: gradients reach only the trainable parts, 4-bit on CPU, save/load, KL reference."""

from __future__ import annotations

import pytest
import torch
from policy_helpers import make_policy, ragged_inputs, seeded

from a2a.policy import A2APolicy


def _ppo_like_loss(pol, inputs, vocabs, actions):
    sc = pol.score(inputs, actions, vocabs)
    return -(sc.logprobs.mean()) + 0.5 * (sc.values ** 2).mean() - 0.01 * sc.entropies.mean()


def _grad_report(pol):
    trainable, frozen_with_grad = {}, []
    for n, p in pol.named_parameters():
        if p.requires_grad:
            trainable[n] = p.grad is not None and bool(torch.isfinite(p.grad).all()) and bool(p.grad.abs().sum() > 0)
        elif p.grad is not None:
            frozen_with_grad.append(n)
    return trainable, frozen_with_grad


@pytest.mark.parametrize("compression,train_projector", [("resampler", False), ("pool", True)])
def test_gradients_reach_lora_adapter_value_head_only(tiny_dir, envs, compression, train_projector):
    pol = make_policy(tiny_dir, compression=compression, train_projector=train_projector)
    # LoRA B starts at zero (LoRA is a no-op at init); nudge it so every LoRA matrix gets gradient
    with torch.no_grad():
        for n, p in pol.named_trainable_parameters():
            if "lora_B" in n:
                p.normal_(std=0.01)
    inputs, vocabs = ragged_inputs(pol, envs, past_steps=(1, 3, 0))
    out = pol.act(inputs, vocabs, sample=True, generator=seeded(0))
    pol.train()
    _ppo_like_loss(pol, inputs, vocabs, out.actions).backward()
    trainable, frozen_with_grad = _grad_report(pol)
    assert frozen_with_grad == []
    names = list(trainable)
    assert any("lora_A" in n for n in names) and any("lora_B" in n for n in names)
    assert any(n.startswith("value_head.") for n in names)
    if compression == "resampler":
        assert any(n.startswith("compressor.") for n in names)
    else:
        assert not any(n.startswith("compressor.") for n in names)  # pooling has no parameters
        assert any(n.startswith("projector.") for n in names)
    no_grad = [n for n, ok in trainable.items() if not ok]
    assert no_grad == [], f"trainable parameters without a finite, non-zero gradient: {no_grad}"
    # everything else is frozen: the vision tower, the base LLM, the LM head
    allowed = ("lm.", "compressor.", "value_head.", "projector.")
    for n, p in pol.named_parameters():
        if p.requires_grad:
            assert n.startswith(allowed), n
            if n.startswith("lm."):
                assert "lora_" in n, n
    assert not any(p.requires_grad for p in pol.encoder.vision_tower.parameters())
    assert not any(p.requires_grad for p in pol.lm_head.parameters())
    assert set(map(id, pol.trainable_parameters())) == {id(p) for n, p in pol.named_parameters() if p.requires_grad}


def test_value_detach_keeps_value_loss_off_the_llm(tiny_dir, envs):
    pol = make_policy(tiny_dir, value_detach=True)
    inputs, vocabs = ragged_inputs(pol, envs, past_steps=(1, 0, 2))
    sc = pol.score(inputs, [v[0] for v in vocabs], vocabs)
    sc.values.sum().backward()
    for n, p in pol.named_trainable_parameters():
        has = p.grad is not None and bool(p.grad.abs().sum() > 0)
        assert has == n.startswith("value_head."), n


def test_disable_adapters_gives_the_base_llm(tiny_dir, envs):
    pol = make_policy(tiny_dir).eval()
    inputs, vocabs = ragged_inputs(pol, envs, past_steps=(2, 0, 1))
    acts = [v[3] for v in vocabs]
    with torch.no_grad():
        base = pol.score(inputs, acts, vocabs).logprobs
        for n, p in pol.named_trainable_parameters():
            if "lora_B" in n:
                p.normal_(std=0.5)
        tuned = pol.score(inputs, acts, vocabs).logprobs
        with pol.disable_adapters():
            ref = pol.score(inputs, acts, vocabs).logprobs
        again = pol.score(inputs, acts, vocabs).logprobs
    assert (tuned - base).abs().max() > 1e-3
    torch.testing.assert_close(ref, base, rtol=0, atol=1e-5)
    torch.testing.assert_close(again, tuned, rtol=0, atol=1e-6)


def test_save_load_trainable_round_trip(tiny_dir, envs, tmp_path):
    pol = make_policy(tiny_dir, compression="resampler")
    with torch.no_grad():
        for p in pol.trainable_parameters():
            p.add_(torch.randn(p.shape, generator=seeded(5)) * 0.05)
    inputs, vocabs = ragged_inputs(pol, envs, past_steps=(1, 0, 2))
    pol.eval()
    acts = [v[7] for v in vocabs]
    with torch.no_grad():
        want = pol.score(inputs, acts, vocabs)
    pol.save_trainable(tmp_path / "ckpt")

    fresh = make_policy(tiny_dir, compression="resampler").eval()
    with torch.no_grad():
        before = fresh.score(inputs, acts, vocabs)
    assert (before.logprobs - want.logprobs).abs().max() > 1e-4
    fresh.load_trainable(tmp_path / "ckpt")
    with torch.no_grad():
        got = fresh.score(inputs, acts, vocabs)
    torch.testing.assert_close(got.logprobs, want.logprobs, rtol=0, atol=1e-6)
    torch.testing.assert_close(got.values, want.values, rtol=0, atol=1e-6)
    for (n1, p1), (n2, p2) in zip(pol.named_trainable_parameters(), fresh.named_trainable_parameters()):
        assert n1 == n2 and torch.equal(p1, p2)

    # the saved directory alone rebuilds the policy (base checkpoint path + config + weights)
    again = A2APolicy.from_pretrained(tmp_path / "ckpt", device="cpu").eval()
    with torch.no_grad():
        got2 = again.score(inputs, acts, vocabs)
    torch.testing.assert_close(got2.logprobs, want.logprobs, rtol=0, atol=1e-6)

    other = make_policy(tiny_dir, compression="pool")
    with pytest.raises(ValueError, match="compression"):
        other.load_trainable(tmp_path / "ckpt")
    with pytest.raises(ValueError, match="cannot be overridden"):
        A2APolicy.from_pretrained(tmp_path / "ckpt", lora_r=8)


def test_nf4_load_forward_backward_on_cpu(tiny_dir, envs):
    import bitsandbytes as bnb

    pol = make_policy(tiny_dir, quantization="nf4")
    assert pol.quantized
    layers = [m for m in pol.lm.modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert layers, "the LLM's linear layers should be 4-bit"
    # the vision tower, projector, LM head stay in the compute dtype
    assert not any(isinstance(m, bnb.nn.Linear4bit) for m in pol.encoder.modules())
    assert type(pol.lm_head) is torch.nn.Linear
    assert all(m.support_avx512bf16_for_cpu is False for m in layers)
    q = layers[0].weight.quant_state
    assert q.quant_type == "nf4" and q.nested, "NF4 with double quantization"

    inputs, vocabs = ragged_inputs(pol, envs, past_steps=(1, 0, 2))
    pol.eval()
    out = pol.act(inputs, vocabs, sample=True, generator=seeded(2))  # no-grad forward first (the CPU quirk)
    pol.train()
    sc = pol.score(inputs, out.actions, vocabs)
    torch.testing.assert_close(sc.logprobs.detach(), out.logprobs, rtol=0, atol=1e-4)
    (-(sc.logprobs.sum()) + sc.values.pow(2).sum()).backward()
    lora = [n for n, p in pol.named_trainable_parameters() if "lora_A" in n and p.grad is not None]
    assert lora, "LoRA weights on 4-bit layers get gradients"
    assert pol.memory_footprint()["language_model"] < make_policy(tiny_dir).memory_footprint()["language_model"]


def test_config_validation():
    from a2a.policy import PolicyConfig

    for bad in ({"compression": "avg"}, {"backend": "cuda"}, {"attn_implementation": "flash"}, {"quantization": "int8"},
                {"resampler_latents": 0}, {"temperature": 0.0}, {"lora_dropout": 1.0}, {"device": "tpu"}):
        with pytest.raises(ValueError):
            PolicyConfig(**bad)
    c = PolicyConfig(lora_target_modules=["q_proj"])
    assert PolicyConfig.from_dict(c.to_dict()) == c
    with pytest.raises(ValueError, match="unknown"):
        PolicyConfig.from_dict({"nope": 1})


def test_attention_choice_is_explicit_and_reported(tiny_dir, caplog):
    import logging

    from a2a.policy.runtime import resolve_attn_implementation

    impl, reason = resolve_attn_implementation("auto", torch.device("cpu"), torch.float32)
    assert impl == "sdpa" and reason.startswith("auto")
    with pytest.raises(ValueError):
        resolve_attn_implementation("flash_attention_2", torch.device("cpu"), torch.float32)
    with caplog.at_level(logging.INFO, logger="a2a.policy"):
        pol = make_policy(tiny_dir, attn_implementation="eager")
    assert pol.attn_implementation == "eager"
    assert any("attention=eager (requested)" in r.getMessage() for r in caplog.records)
    with caplog.at_level(logging.INFO, logger="a2a.policy"):
        auto = make_policy(tiny_dir)
    assert auto.attn_implementation == "sdpa" and auto.attn_reason.startswith("auto")
    assert any("attention=sdpa (auto:" in r.getMessage() for r in caplog.records)
    assert pol.lm.get_base_model().config._attn_implementation == "eager"


def test_gradient_checkpointing_gives_the_same_gradients(tiny_dir, envs):
    grads = []
    for ckpt in (False, True):
        pol = make_policy(tiny_dir, gradient_checkpointing=ckpt)
        with torch.no_grad():
            for n, p in pol.named_trainable_parameters():
                if "lora_B" in n:
                    p.copy_(torch.randn(p.shape, generator=seeded(9)) * 0.01)
        inputs, vocabs = ragged_inputs(pol, envs, past_steps=(2, 1, 0))
        pol.train()
        assert not pol.encoder.vision_tower.training  # the frozen tower stays in eval mode
        _ppo_like_loss(pol, inputs, vocabs, [v[2] for v in vocabs]).backward()
        grads.append({n: p.grad.clone() for n, p in pol.named_trainable_parameters()})
    assert grads[0].keys() == grads[1].keys()
    for n in grads[0]:
        torch.testing.assert_close(grads[1][n], grads[0][n], rtol=1e-4, atol=1e-6, msg=n)


def test_finetune_llm_trains_every_llm_weight_and_round_trips(tiny_dir, tmp_path):
    """finetune_llm: a tiny, randomly initialised LLM trains whole (no LoRA); the vision tower stays frozen."""
    import pytest

    from a2a.policy import A2APolicy, PolicyConfig
    from policy_helpers import make_policy

    policy = make_policy(tiny_dir, finetune_llm=True, lora_r=0)
    names = [n for n, _ in policy.named_trainable_parameters()]
    assert any("embed_tokens" in n for n in names) and any(n.startswith("lm_head") for n in names)
    assert not any("vision_tower" in n for n in names) and not any("lora" in n for n in names)
    with torch.no_grad():
        for p in policy.trainable_parameters():
            p.add_(0.01)
    policy.save_trainable(tmp_path / "p")
    back = A2APolicy.from_pretrained(tmp_path / "p", device="cpu")
    for (n, a), (_, b) in zip(policy.named_trainable_parameters(), back.named_trainable_parameters()):
        assert torch.equal(a, b), n
    with pytest.raises(ValueError, match="quantization"):
        PolicyConfig(finetune_llm=True, quantization="nf4")
    with pytest.raises(RuntimeError, match="no adapters"):
        with policy.disable_adapters():
            pass
