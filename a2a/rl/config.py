"""Typed configuration of a training run, validated at construction.

The defaults are those of `a2a train` with no arguments (the main job): the CLI derives its flags,
defaults and help texts from these fields (a2a/cli/config_args.py), so each setting has one default.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from ..env.config import RewardWeights, check_frame_size, check_seed

if TYPE_CHECKING:
    from ..llm.config import LLMConfig

REWARD_SETS = ("full", "success+subgoal", "success")  # the paper's reward ablation
JUDGES = ("oracle", "llm")


def _help(text: str, **more) -> dict:
    return {"help": text, **more}


@dataclass(frozen=True)
class PPOConfig:
    num_envs: int = field(default=16, metadata=_help("environments per rank"))
    rollout_steps: int = field(default=32, metadata=_help("steps per env per update"))
    updates: int = field(default=1000, metadata=_help(
        "PPO updates, after the behavior-cloning ones (a time budget may stop earlier; 0: none)"))
    epochs: int = field(default=2, metadata=_help("passes over each rollout"))
    minibatches: int = field(default=4, metadata=_help("minibatches per pass (of whole episode segments)"))
    lr: float = field(default=3e-5, metadata=_help(
        "PPO learning rate (small: the default start is behavior-cloned, and larger steps undo what it knows)"))
    weight_decay: float = field(default=0.0, metadata=_help("AdamW weight decay"))
    gamma: float = field(default=0.99, metadata=_help("discount"))
    gae_lambda: float = field(default=0.95, metadata=_help("GAE lambda"))
    clip: float = field(default=0.2, metadata=_help("policy ratio clip"))
    value_clip: float | None = field(default=0.2, metadata=_help("value clip (none: unclipped)"))
    vf_coef: float = field(default=0.5, metadata=_help("value loss coefficient"))
    ent_coef: float = field(default=0.0, metadata=_help("entropy bonus coefficient"))
    kl_coef: float = field(default=0.0,
                           metadata=_help("KL to the frozen reference (the LLM without its LoRA adapters)"))
    max_grad_norm: float = field(default=1.0, metadata=_help("gradient clipping norm"))
    target_kl: float | None = field(default=None,
                                    metadata=_help("stop an update's epochs past this approx KL (none: never)"))
    pipeline: bool | None = field(default=None, metadata=_help(
        "step half the envs while the policy works on the other half (auto: on GPU)"))

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
    model: str | None = field(default=None, metadata=_help(
        "LLaVA-OneVision checkpoint or saved a2a policy (none: the tiny policy shipped with a2a, see --from-scratch)"))
    from_scratch: bool = field(default=False, metadata=_help(
        "without --model: start from a randomly initialised tiny model built in the run directory instead of the "
        "shipped one (which is behavior-cloned from greedy-explore: `a2a model info` shows what it knows)"))
    split: str = field(default="train", metadata=_help("training split or episode file"))
    dataset: str | None = field(default=None, metadata=_help("dataset directory (none: the built-in dataset)"))
    eval_split: str = field(default="val_unseen_scenes", metadata=_help("split of the final evaluation"))
    eval_episodes: int = field(default=100, metadata=_help("episodes of the final evaluation (0: none)"))
    eval_every: int = field(default=0,
                            metadata=_help("updates between evaluations during training (0: at the end only)"))
    compare: bool = field(default=True, metadata=_help(
        "evaluate the policy's starting points and the scripted agents on the same episodes and print them "
        "side by side"))
    checkpoint_every: int = field(default=10, metadata=_help("updates between checkpoints"))
    keep_checkpoints: int = field(default=3, metadata=_help("checkpoints kept (0: all of them)"))
    minutes: float | None = field(default=4.0, metadata=_help(
        "wall-clock budget of the training phases, checked between updates (0 or none: no budget)"))
    seed: int = field(default=0, metadata=_help("seed of everything"))
    device: str = field(default="auto", metadata=_help("auto, cpu or cuda"))
    frame_size: int = field(default=0, metadata=_help("rendered frame size (0: the vision tower's input size)"))
    num_threads: int = field(default=0, metadata=_help("threads of the batched core (0: automatic)"))
    rewards: RewardWeights = field(default_factory=RewardWeights)
    reward_set: str = field(default="full", metadata=_help(
        "the paper's reward ablation (penalties are kept in every set)", choices=REWARD_SETS))
    judge: str = field(default="oracle", metadata=_help("who judges questions useful", choices=JUDGES))
    user: str = "builtin"             # who answers questions: builtin, builtin-first or llm (see a2a.llm.env_user)
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key_env: str = "OPENAI_API_KEY"
    llm_timeout_s: float = 30.0       # per HTTP attempt, judge and user
    llm_concurrency: int = 32         # HTTP requests in flight at most
    llm_json_mode: bool = True        # the judge asks for JSON (response_format)
    ppo: PPOConfig = field(default_factory=PPOConfig)
    sft_updates: int = field(default=1000, metadata=_help(
        "behavior-cloning updates before PPO (the paper's SFT; 0: none), counted apart from --updates"))
    # 3 of the main job's 4 minutes: in minutes of CPU cloning is what raises SR, PPO mostly trims questions, and
    # with 2 a machine half as fast ended below 60% (bench/results/main_job/README.md).
    sft_minutes: float | None = field(default=3.0, metadata=_help(
        "wall-clock budget of the behavior-cloning phase, part of --minutes (0 or none: no separate budget)"))
    sft_lr: float = field(default=1e-3, metadata=_help("behavior-cloning learning rate"))
    sft_epochs: int = field(default=4, metadata=_help("passes over each behavior-cloning rollout"))
    sft_minibatches: int = field(default=8, metadata=_help("minibatches per behavior-cloning pass"))
    sft_perturb: float = field(default=0.0, metadata=_help(
        "probability that a random non-question action replaces the expert's while cloning (DART): the "
        "expert's next actions then show how to recover from mistakes (slows cloning of the default expert)"))
    sft_dagger: float = field(default=0.0, metadata=_help(
        "probability that the policy's own sampled action is taken instead of the expert's while cloning "
        "(DAgger): the expert still labels the step, so the policy learns to recover from its own mistakes"))
    sft_balance: float = field(default=0.0, metadata=_help(
        "weigh each cloned step by (steps of its action's verb in the rollout)^-BALANCE: 0 weighs all steps alike, "
        "1 gives navigate, open, pick, place and ask the same share of the loss (rare decisions count more)"))
    sft_expert: str = field(default="greedy-explore", metadata=_help(
        "agent imitated by behavior cloning: greedy-explore (sees what the policy sees) or oracle (privileged)"))
    policy: dict = field(default_factory=dict)  # PolicyConfig overrides (quantization, compression, ...)
    tensorboard: bool = field(default=True, metadata=_help("also log to TensorBoard"))
    progress: bool = True

    def __post_init__(self) -> None:
        check_seed(self.seed)
        if self.reward_set not in REWARD_SETS:
            raise ValueError(f"reward_set must be one of {REWARD_SETS}, got {self.reward_set!r}")
        if self.judge not in JUDGES:
            raise ValueError(f"judge must be one of {JUDGES}, got {self.judge!r}")
        if self.judge == "llm":
            if not (self.llm_base_url and self.llm_model):
                raise ValueError("judge='llm' needs an OpenAI-compatible endpoint: --base-url and --llm-model "
                                 "(TrainConfig.llm_base_url and llm_model)")
            self.judge_llm_config()  # a bad URL (or timeout) fails now, not after the model is built
        self.user_spec()  # validates the route and its endpoint
        for name in ("minutes", "sft_minutes"):
            v = getattr(self, name)
            if v == 0:
                object.__setattr__(self, name, None)  # 0 means no budget, like none
            elif v is not None and v < 0:
                raise ValueError(f"{name} must be >= 0 (0 or none: no budget)")
        if self.eval_episodes < 0 or self.eval_every < 0 or self.checkpoint_every < 1:
            raise ValueError("eval_episodes and eval_every must be >= 0, checkpoint_every >= 1")
        if self.ppo.kl_coef > 0 and self.policy.get("finetune_llm"):
            raise ValueError("kl_coef > 0 needs a frozen reference: LoRA adapters, not finetune_llm")
        if self.sft_updates < 0 or self.sft_lr <= 0 or self.sft_epochs < 1 or self.sft_minibatches < 1:
            raise ValueError("sft_updates must be >= 0, sft_lr > 0, sft_epochs and sft_minibatches >= 1")
        if not 0 <= self.sft_perturb < 1:
            raise ValueError(f"sft_perturb must be in [0, 1), got {self.sft_perturb}")
        if not 0 <= self.sft_dagger <= 1:
            raise ValueError(f"sft_dagger must be in [0, 1], got {self.sft_dagger}")
        if not 0 <= self.sft_balance <= 1:
            raise ValueError(f"sft_balance must be in [0, 1], got {self.sft_balance}")
        check_frame_size(self.frame_size, "frame_size (0: the vision tower's size)")

    @property
    def total_updates(self) -> int:
        return self.sft_updates + self.ppo.updates

    def judge_llm_config(self, cache_path: str | None = None) -> LLMConfig:
        """The LLM judge's endpoint (validated by LLMConfig)."""
        from ..llm.config import LLMConfig

        assert self.llm_base_url and self.llm_model
        return LLMConfig(base_url=self.llm_base_url, model=self.llm_model, api_key_env=self.llm_api_key_env,
                         cache_path=cache_path, timeout_s=self.llm_timeout_s, concurrency=self.llm_concurrency)

    def user_spec(self):
        """Who answers the policy's questions (the LLM user shares the judge's endpoint)."""
        from ..llm.env_user import UserSpec

        return UserSpec(self.user, self.llm_base_url, self.llm_model, self.llm_api_key_env, self.llm_timeout_s,
                        self.llm_concurrency)

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
