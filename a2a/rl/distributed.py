"""Multi-process training on one node (or several) with torchrun: one batched core per rank, the
(4-bit) base weights replicated, and only the trainable (LoRA, adapter, value head) gradients
all-reduced — explicitly, so what crosses the wire is obvious."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import torch
import torch.distributed as dist


class LaunchError(ValueError):
    """The launcher's environment (RANK, WORLD_SIZE, ...) is malformed, inconsistent or does not fit the machine."""


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    local_world_size: int = 1  # processes on this node (they share its CPUs)

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def _env_int(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise LaunchError(f"{name}={raw!r} in the environment must be an integer >= {minimum} (a launcher such as "
                          f"torchrun sets it; unset it for a single-process run)")
    return value


def launcher_env() -> DistInfo:
    """What the launcher's variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE) say about this process, checked:
    a malformed or inconsistent one raises LaunchError in one line (torchrun always sets all of them, consistently).
    The device is chosen later (init_distributed)."""
    world = _env_int("WORLD_SIZE", 1, 1)
    if world == 1:
        return DistInfo(local_world_size=_env_int("LOCAL_WORLD_SIZE", 1, 1))
    missing = [v for v in ("RANK", "MASTER_ADDR", "MASTER_PORT") if not os.environ.get(v, "").strip()]
    if missing:  # a hand-set WORLD_SIZE: torch would fail in its rendezvous, or wait for ranks that never come
        raise LaunchError(f"WORLD_SIZE={world} in the environment but {', '.join(missing)} not set: start "
                          f"multi-process runs with torchrun (docs/training.md), or unset WORLD_SIZE")
    env = DistInfo(rank=_env_int("RANK", 0, 0), world_size=world, local_rank=_env_int("LOCAL_RANK", 0, 0),
                   local_world_size=_env_int("LOCAL_WORLD_SIZE", 1, 1))
    if env.rank >= world:
        raise LaunchError(f"RANK={env.rank} in the environment must be below WORLD_SIZE={world}")
    # LOCAL_WORLD_SIZE is torchrun's; other launchers (hand-written SLURM scripts) may set LOCAL_RANK alone
    if os.environ.get("LOCAL_WORLD_SIZE", "").strip() and not env.local_rank < env.local_world_size <= world:
        raise LaunchError(f"LOCAL_RANK={env.local_rank}, LOCAL_WORLD_SIZE={env.local_world_size} and "
                          f"WORLD_SIZE={world} in the environment do not fit (LOCAL_RANK < LOCAL_WORLD_SIZE <= "
                          f"WORLD_SIZE)")
    return env


def init_distributed(device: str = "auto") -> DistInfo:
    """Reads torchrun's environment (launcher_env); single-process without it."""
    env = launcher_env()
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if env.world_size == 1:
        return replace(env, device=torch.device("cuda", 0) if device == "cuda" else torch.device("cpu"))
    local = env.local_rank
    if device == "cuda":
        if local >= torch.cuda.device_count():
            raise LaunchError(f"LOCAL_RANK={local} but this machine has {torch.cuda.device_count()} CUDA device(s): "
                              f"start at most that many processes per node (torchrun --nproc-per-node)")
        torch.cuda.set_device(local)
        dev = torch.device("cuda", local)
        backend = "nccl"
    else:
        dev = torch.device("cpu")
        backend = "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return replace(env, device=dev)


def allreduce_gradients(params: list[torch.nn.Parameter], info: DistInfo) -> None:
    """Averages gradients of the given parameters across ranks (one flat buffer, one collective)."""
    if info.world_size == 1:
        return
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1).to(torch.float32) for g in grads])
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    flat /= info.world_size
    offset = 0
    for p, g in zip(params, grads):
        n = g.numel()
        chunk = flat[offset:offset + n].view_as(g).to(g.dtype)
        if p.grad is None:
            p.grad = chunk.clone()
        else:
            p.grad.copy_(chunk)
        offset += n


def broadcast_parameters(params: list[torch.nn.Parameter], info: DistInfo, src: int = 0) -> None:
    """Makes every rank start from rank `src`'s trainable weights."""
    if info.world_size == 1:
        return
    with torch.no_grad():
        for p in params:
            dist.broadcast(p.data, src=src)


def mean_across_ranks(values: dict[str, float], info: DistInfo) -> dict[str, float]:
    """Averages scalar metrics over ranks (sums for keys ending in '/count' and 'env_steps')."""
    if info.world_size == 1 or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    out = {}
    for k, v in zip(keys, t.tolist()):
        out[k] = v if (k.endswith("/count") or k == "env_steps") else v / info.world_size
    return out


def barrier(info: DistInfo) -> None:
    if info.world_size > 1:
        dist.barrier()


def shutdown(info: DistInfo) -> None:
    if info.world_size > 1 and dist.is_initialized():
        dist.destroy_process_group()


def replica_checksums(params: list[torch.nn.Parameter], info: DistInfo) -> list[float]:
    """A checksum of the trainable weights on every rank (they must be equal: same start, same
    averaged gradients). Cheap: two floats per rank."""
    with torch.no_grad():
        local = torch.tensor([sum(float(p.double().sum()) for p in params),
                              sum(float(p.double().pow(2).sum()) for p in params)], dtype=torch.float64)
    if info.world_size == 1:
        return [float(local[0])]
    gathered = [torch.zeros_like(local) for _ in range(info.world_size)]
    dist.all_gather(gathered, local)
    sums = [g.tolist() for g in gathered]
    if any(abs(a - b) > 1e-6 * (1 + abs(b)) for s in sums for a, b in zip(s, sums[0])):
        raise RuntimeError(f"trainable weights diverged across ranks: {sums}")
    return [s[0] for s in sums]
