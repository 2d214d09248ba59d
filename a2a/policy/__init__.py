"""The MLLM policy: LLaVA-OneVision as a vision-language-action policy (see docs/policy.md).

    policy = A2APolicy.from_pretrained(path, PolicyConfig(compression="resampler", quantization="nf4"))
    frames = policy.encode_frames(images)                       # frozen tower, once per frame
    out = policy.act(inputs, vocabs, sample=True)               # ActOutput(actions, logprobs, entropies, values)
    s = policy.score(inputs, out.actions, vocabs)               # differentiable, same definitions
"""

from .config import PolicyConfig
from .history import EpisodeHistory, FrameFeatures, HistoryStore, PolicyInput, Step
from .model import A2APolicy
from .outputs import ActOutput, ScoreOutput
from .prompt import PromptFormat
from .quant import disable_bnb_cpu_weight_repacking
from .trie import ActionTrie

__all__ = [
    "A2APolicy",
    "ActOutput",
    "ActionTrie",
    "EpisodeHistory",
    "FrameFeatures",
    "HistoryStore",
    "PolicyConfig",
    "PolicyInput",
    "PromptFormat",
    "ScoreOutput",
    "Step",
    "disable_bnb_cpu_weight_repacking",
]
