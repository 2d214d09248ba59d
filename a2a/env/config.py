"""Typed, validated configuration of the environments (no global config tree)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class RewardWeights:
    """Weights of the reward terms (each is also reported on its own in infos["reward_terms"]).

    A question is rewarded only when it is useful and within the budget B = K + budget_delta;
    every question past B costs `over_budget`.
    """

    success: float = 10.0
    subgoal: float = 1.0
    useful_question: float = 1.0
    over_budget: float = -1.0
    slack: float = -0.05
    invalid: float = -0.1
    failure: float = -2.0
    budget_delta: int = 0

    def __post_init__(self) -> None:
        for name in ("over_budget", "slack", "invalid", "failure"):
            if getattr(self, name) > 0:
                raise ValueError(f"RewardWeights.{name} is a penalty and must be <= 0, got {getattr(self, name)}")
        if self.budget_delta < 0:
            raise ValueError(f"RewardWeights.budget_delta must be >= 0, got {self.budget_delta}")

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class EnvConfig:
    """How the environments run and what they observe."""

    frame_size: int = 128        # square RGB frames; 0 disables rendering
    history: int = 1             # frames per observation (ring of the last H views)
    num_threads: int = 0         # 0: as many as cores (capped by the number of envs)
    autoreset: str = "next_step"  # or "disabled"
    sampling: str = "strided"     # episode order per env: "strided" or "random"
    seed: int = 0
    set_of_marks: bool = False
    rewards: RewardWeights = field(default_factory=RewardWeights)

    def __post_init__(self) -> None:
        if self.frame_size != 0 and not 16 <= self.frame_size <= 1024:
            raise ValueError(f"EnvConfig.frame_size must be 0 or in [16, 1024], got {self.frame_size}")
        if not 1 <= self.history <= 64:
            raise ValueError(f"EnvConfig.history must be in [1, 64], got {self.history}")
        if self.num_threads < 0:
            raise ValueError(f"EnvConfig.num_threads must be >= 0, got {self.num_threads}")
        if self.autoreset not in ("next_step", "disabled"):
            raise ValueError(f"EnvConfig.autoreset must be 'next_step' or 'disabled', got {self.autoreset!r}")
        if self.sampling not in ("strided", "random"):
            raise ValueError(f"EnvConfig.sampling must be 'strided' or 'random', got {self.sampling!r}")
