"""Gymnasium interfaces over the C++ core: a vector env (the fast path) and a single env."""

from .config import EnvConfig, RewardWeights
from .single import AskToActEnv
from .spaces import decode_texts
from .vector import AskToActVectorEnv

__all__ = ["AskToActEnv", "AskToActVectorEnv", "EnvConfig", "RewardWeights", "decode_texts"]
