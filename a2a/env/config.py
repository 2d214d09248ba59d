"""Typed, validated configuration of the environments (no global config tree)."""

from __future__ import annotations

import math
import numbers
import operator
from dataclasses import asdict, dataclass, field, make_dataclass
from typing import TYPE_CHECKING

from .. import _core


def _reward_weights_class():
    """RewardWeights: one field per reward term of the core (`_core.reward_table()`, the one
    definition of the terms, their defaults and signs), plus `budget_delta`."""
    table = _core.reward_table()
    names = tuple(t["name"] for t in table)
    penalties = tuple(t["name"] for t in table if t["penalty"])

    def __post_init__(self) -> None:
        for name in names:
            value = getattr(self, name)
            number = float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else math.nan
            # NaN passes every comparison and one NaN or inf weight makes every return NaN; the core keeps float32
            if not math.isfinite(number) or abs(number) > FLOAT32_MAX:
                raise ValueError(f"RewardWeights.{name} must be a finite number (float32), got {value!r}")
            if name in penalties and number > 0:
                raise ValueError(f"RewardWeights.{name} is a penalty and must be <= 0, got {value}")
        check_int(self.budget_delta, "RewardWeights.budget_delta", 0, CORE_MAX_INT)

    def as_dict(self) -> dict:
        return asdict(self)

    doc = ("Weights of the reward terms (each is also reported on its own in infos[\"reward_terms\"]).\n\n"
           "A question is rewarded only when it is useful and within the budget B = K + budget_delta; every\n"
           "question past B costs `over_budget`. Terms (from the core):\n"
           + "\n".join(f"  {t['name']} = {t['default']:g}: {t['description']}" for t in table))
    # the core stores float32 weights: print them as the short decimals they were written as
    fields = [(t["name"], float, field(default=float(f"{t['default']:.7g}"))) for t in table]
    fields.append(("budget_delta", int, field(default=0)))
    cls = make_dataclass("RewardWeights", fields, frozen=True,
                         namespace={"__post_init__": __post_init__, "as_dict": as_dict, "__doc__": doc})
    cls.__module__ = __name__  # pickling and reprs name this module
    return cls


if TYPE_CHECKING:
    @dataclass(frozen=True)
    class RewardWeights:
        """What type checkers see of the class made at import from the core's reward table."""

        budget_delta: int = 0

        def __init__(self, *, budget_delta: int = 0, **weights: float) -> None: ...
        def __getattr__(self, term: str) -> float: ...
        def as_dict(self) -> dict: ...
else:
    RewardWeights = _reward_weights_class()


# A user's seed. The core takes 64-bit unsigned seeds; the trainer derives the envs' from the user's, its rank and
# update (seed * 1_000_003 + ...), which stays below 2^64 from a user's seed below 2^32.
MAX_SEED = 2**32 - 1
CORE_MAX_SEED = 2**64 - 1
FLOAT32_MAX = 3.4028234663852886e38  # the core's reward weights are float32
# The core's counts and sizes are C ints: a larger Python int fails in pybind with a dump of the signature.
CORE_MAX_INT = 2**31 - 1


def check_int(value, name: str, minimum: int, maximum: int | None = None) -> None:
    """The one check of an integer setting: any integer type (numpy's too), not bools, floats or strings."""
    try:
        number = None if isinstance(value, bool) else operator.index(value)
    except TypeError:
        number = None
    if number is None or number < minimum or (maximum is not None and number > maximum):
        bounds = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be an integer {bounds}, got {value!r}")


def check_seed(seed, name: str = "seed", maximum: int = MAX_SEED) -> None:
    check_int(seed, name, 0, maximum)


def check_frame_size(frame_size: int, what: str = "frame_size") -> None:
    """The one check of a square frame size: 0 (no rendering) or 16..1024 pixels."""
    if (isinstance(frame_size, bool) or not isinstance(frame_size, int)
            or (frame_size != 0 and not 16 <= frame_size <= 1024)):
        raise ValueError(f"{what} must be 0 (no rendering) or in [16, 1024], got {frame_size!r}")


@dataclass(frozen=True)
class EnvConfig:
    """How the environments run and what they observe."""

    frame_size: int = 128        # square RGB frames; 0 disables rendering
    history: int = 1             # frames per observation (ring of the last H views)
    num_threads: int = 0         # 0: as many as cores; any count is capped at the number of envs
    autoreset: str = "next_step"  # or "disabled"
    sampling: str = "strided"     # episode order per env: "strided" or "random"
    seed: int = 0
    set_of_marks: bool = False
    rewards: RewardWeights = field(default_factory=RewardWeights)

    def __post_init__(self) -> None:
        check_frame_size(self.frame_size, "EnvConfig.frame_size")
        check_seed(self.seed, "EnvConfig.seed", CORE_MAX_SEED)
        check_int(self.history, "EnvConfig.history", 1, 64)
        check_int(self.num_threads, "EnvConfig.num_threads", 0, CORE_MAX_INT)
        if not isinstance(self.set_of_marks, bool):
            raise ValueError(f"EnvConfig.set_of_marks must be True or False, got {self.set_of_marks!r}")
        if not isinstance(self.rewards, RewardWeights):
            raise ValueError("EnvConfig.rewards must be an a2a.env.RewardWeights (e.g. RewardWeights(slack=-0.1)), "
                             f"got {type(self.rewards).__name__}")
        if self.autoreset not in ("next_step", "disabled"):
            raise ValueError(f"EnvConfig.autoreset must be 'next_step' or 'disabled', got {self.autoreset!r}")
        if self.sampling not in ("strided", "random"):
            raise ValueError(f"EnvConfig.sampling must be 'strided' or 'random', got {self.sampling!r}")

    def make_core(self, episodes, num_envs: int, *, batch_size: int = 0):
        """The core's batched manager (`a2a._core.BatchedEnv`) for this config: the one place an env
        config becomes a core. batch_size < num_envs: async send/recv in batches of that size."""
        return _core.BatchedEnv(episodes, num_envs=num_envs, batch_size=batch_size, num_threads=self.num_threads,
                                history=self.history, width=self.frame_size, height=self.frame_size,
                                set_of_marks=self.set_of_marks, rewards=self.rewards.as_dict(),
                                autoreset=self.autoreset,
                                sampling=self.sampling, seed=self.seed)


def open_core(env, what: str, maker: str):
    """env.core, or a one-line error once close() has dropped it (maker: what makes a new env)."""
    if env.core is None:
        raise RuntimeError(f"{what}() on a closed {type(env).__name__}; make a new one ({maker})")
    return env.core
