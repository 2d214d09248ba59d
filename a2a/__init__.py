"""a2a: train and evaluate embodied agents that ask clarification questions before they act.

Quick use::

    import a2a
    envs = a2a.make_vec("train", num_envs=16)          # Gymnasium VectorEnv over the C++ core
    obs, info = envs.reset(seed=0)
    obs, reward, terminated, truncated, info = envs.step(["ask(where is it?)"] * 16)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

try:  # pyproject.toml is the one place the version is written
    __version__ = version("a2a")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"


if not TYPE_CHECKING:  # (for mypy, a2a keeps no dynamic attributes)

    def __getattr__(name: str):
        # `from a2a import _core` looks here first: say why the compiled core is missing (typically Python started
        # in a clone of the repository imports its source tree, which has no build, instead of the installed one)
        if name == "_core":
            import importlib
            import sys
            from pathlib import Path

            try:
                return importlib.import_module(f"{__name__}._core")
            except ModuleNotFoundError as e:
                if e.name != f"{__name__}._core":
                    raise
                here = Path(__file__).resolve().parent
                safe = ", or with PYTHONSAFEPATH=1," if sys.version_info >= (3, 11) else ""
                hint = (f" (this is a source tree: run Python outside the repository{safe} to use the installed "
                        "package)" if (here.parent / "pyproject.toml").exists() else "")
                raise ImportError(f"a2a's compiled core (a2a._core) is not built in {here}{hint}",
                                  name=e.name) from None
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_vec(split: str = "train", num_envs: int = 1, *, dataset=None, config=None, render_mode=None, user=None,
             **config_kwargs):
    """A Gymnasium VectorEnv of `num_envs` Ask-to-Act environments.

    split: a split of the dataset (default: the built-in one, generated on first use) or a path to a
    .jsonl(.gz) episode file. config: an a2a.env.EnvConfig, or its fields as keyword arguments.
    user: an a2a.llm.UserSpec to have an LLM answer questions (default: the built-in user).
    """
    from .data import load_split
    from .env import AskToActVectorEnv, EnvConfig
    from .env.config import CORE_MAX_INT, check_int

    check_int(num_envs, "num_envs", 1, CORE_MAX_INT)  # before loading (or generating) the split
    if config is not None and config_kwargs:
        raise TypeError("pass either config=EnvConfig(...) or its fields as keywords, not both")
    cfg = config or EnvConfig(**config_kwargs)
    return AskToActVectorEnv(load_split(split, dataset), num_envs=num_envs, config=cfg, render_mode=render_mode,
                             user=user)


def make(split: str = "train", *, dataset=None, config=None, render_mode=None, **config_kwargs):
    """One Ask-to-Act environment as a Gymnasium Env (see make_vec for the arguments)."""
    from .data import load_split
    from .env import AskToActEnv, EnvConfig

    if config is not None and config_kwargs:
        raise TypeError("pass either config=EnvConfig(...) or its fields as keywords, not both")
    cfg = config or EnvConfig(**config_kwargs)
    return AskToActEnv(load_split(split, dataset), config=cfg, render_mode=render_mode)


def cmake_dir() -> str:
    """The directory of a2aConfig.cmake that the installed wheel carries, for C++ projects that link the
    core: `cmake -Da2a_DIR=<it>` then find_package(a2a CONFIG) (also `python -m a2a --cmake-dir`)."""
    from pathlib import Path

    package = Path(__file__).resolve().parent
    path = package / "share" / "cmake" / "a2a"  # pyproject.toml's A2A_INSTALL_CMAKEDIR
    if not (path / "a2aConfig.cmake").is_file():
        raise FileNotFoundError(f"{package} carries no a2aConfig.cmake (not a pip-installed a2a?): install a2a "
                                "with pip, or build and install the core from a source checkout with CMake")
    return str(path)


def _register() -> None:
    try:
        import gymnasium
    except ImportError:  # pragma: no cover - gymnasium is a dependency
        return
    if "a2a/AskToAct-v0" not in gymnasium.registry:
        gymnasium.register("a2a/AskToAct-v0", entry_point="a2a.env.single:AskToActEnv",
                           vector_entry_point="a2a.env.vector:AskToActVectorEnv")


_register()
