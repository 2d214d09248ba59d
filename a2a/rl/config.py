"""Typed configuration of a training run, validated at construction."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..env.config import RewardWeights, check_frame_size

REWARD_SETS = ("full", "success+subgoal", "success")  # the paper's reward ablation
JUDGES = ("oracle", "llm")


@dataclass(frozen=True)
class PPOConfig:
    num_envs: int = 16            # per rank
    rollout_steps: int = 32       # steps per env per update
    updates: int = 100            # total PPO updates (a time limit may stop earlier; 0: only evaluate)
    epochs: int = 2
    minibatches: int = 4
    lr: float = 3e-4
    weight_decay: float = 0.0
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip: float = 0.2
    value_clip: float | None = 0.2
    vf_coef: float = 0.5
    ent_coef: float = 0.01
    kl_coef: float = 0.0          # > 0: KL to the frozen reference (the LLM without its adapters)
    max_grad_norm: float = 1.0
    target_kl: float | None = None  # stop the epochs of an update early past this approx KL
    pipeline: bool | None = None  # step half the envs while the policy works on the other half (None: on GPU)

    def __post_init__(self) -> None:
        for name in ("num_envs", "rollout_steps", "epochs", "minibatches"):
            if getattr(self, name) < 1:
                raise ValueError(f"PPOConfig.{name} must be >= 1, got {getattr(self, name)}")
        if self.updates < 0:
            raise ValueError(f"PPOConfig.updates must be >= 0 (0: evaluate the initial policy), got {self.updates}")
        if self.lr <= 0 or self.max_grad_norm <= 0:
            raise ValueError("PPOConfig.lr and max_grad_norm must be > 0")
        if not (0 <= self.gamma <= 1 and 0 <= self.gae_lambda <= 1):
            raise ValueError("PPOConfig.gamma and gae_lambda must be in [0, 1]")
        if self.clip <= 0:
            raise ValueError("PPOConfig.clip must be > 0")
        if min(self.vf_coef, self.ent_coef, self.kl_coef) < 0:
            raise ValueError("PPOConfig coefficients must be >= 0")
        if self.pipeline is None:
            import torch

            object.__setattr__(self, "pipeline", torch.cuda.is_available())
        if self.pipeline and self.num_envs < 2:
            object.__setattr__(self, "pipeline", False)


@dataclass(frozen=True)
class TrainConfig:
    run_dir: str
    model: str | None = None          # None: a tiny model is created in the run directory
    split: str = "train"
    dataset: str | None = None        # None: the built-in dataset
    eval_split: str = "val_unseen_scenes"
    eval_episodes: int = 100
    eval_every: int = 0               # updates between evaluations (0: only at the end)
    checkpoint_every: int = 10
    keep_checkpoints: int = 3
    minutes: float | None = None      # wall-clock budget (checked between updates)
    seed: int = 0
    device: str = "auto"
    frame_size: int = 0               # 0: the vision tower's input size
    num_threads: int = 0              # env threads (0: as many as cores)
    rewards: RewardWeights = field(default_factory=RewardWeights)
    reward_set: str = "full"
    judge: str = "oracle"
    user: str = "builtin"             # who answers questions: builtin, builtin-first or llm (see a2a.llm.env_user)
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key_env: str = "OPENAI_API_KEY"
    ppo: PPOConfig = field(default_factory=PPOConfig)
    sft_updates: int = 0              # behavior-cloning updates on the oracle's actions before PPO (warm start)
    sft_lr: float = 3e-3
    sft_expert: str = "oracle"        # the agent imitated (any registered agent that needs no model)
    policy: dict = field(default_factory=dict)  # PolicyConfig overrides (quantization, compression, ...)
    tensorboard: bool = True
    progress: bool = True

    def __post_init__(self) -> None:
        if self.reward_set not in REWARD_SETS:
            raise ValueError(f"reward_set must be one of {REWARD_SETS}, got {self.reward_set!r}")
        if self.judge not in JUDGES:
            raise ValueError(f"judge must be one of {JUDGES}, got {self.judge!r}")
        if self.judge == "llm" and not (self.llm_base_url and self.llm_model):
            raise ValueError("judge='llm' needs llm_base_url and llm_model (an OpenAI-compatible endpoint)")
        self.user_spec()  # validates the route and its endpoint
        if self.minutes is not None and self.minutes <= 0:
            raise ValueError("minutes must be > 0")
        if self.eval_episodes < 0 or self.eval_every < 0 or self.checkpoint_every < 1:
            raise ValueError("eval_episodes and eval_every must be >= 0, checkpoint_every >= 1")
        if self.ppo.kl_coef > 0 and self.policy.get("finetune_llm"):
            raise ValueError("kl_coef > 0 needs a frozen reference: LoRA adapters, not finetune_llm")
        if self.sft_updates < 0 or self.sft_lr <= 0:
            raise ValueError("sft_updates must be >= 0 and sft_lr > 0")
        check_frame_size(self.frame_size, "frame_size (0: the vision tower's size)")

    def user_spec(self):
        """Who answers the policy's questions (the LLM user shares the judge's endpoint)."""
        from ..llm.env_user import UserSpec

        return UserSpec(self.user, self.llm_base_url, self.llm_model, self.llm_api_key_env)

    def effective_rewards(self) -> RewardWeights:
        """The reward weights after the ablation switch (penalties are kept in every set)."""
        r = asdict(self.rewards)
        if self.reward_set in ("success", "success+subgoal"):
            r["useful_question"] = 0.0
        if self.reward_set == "success":
            r["subgoal"] = 0.0
        return RewardWeights(**r)

    def to_dict(self) -> dict:
        return asdict(self)
