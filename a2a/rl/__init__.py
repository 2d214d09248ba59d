"""Online PPO of the MLLM policy with per-step (optionally LLM-judged) rewards. See docs/training.md."""

from .config import PPOConfig, TrainConfig

__all__ = ["PPOConfig", "TrainConfig", "train"]


def train(cfg: TrainConfig):
    from .trainer import train as _train

    return _train(cfg)
