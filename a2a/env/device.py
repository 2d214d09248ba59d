"""Observations straight into a trainer's tensors: a (pinned) CPU tensor the core writes frames
into, or a CUDA tensor the core uploads each batch to asynchronously on the caller's stream.

    frames = torch.empty((N, H, h, w, 3), dtype=torch.uint8).pin_memory()
    attach_frame_buffer(env.core, frames)          # frames[i] is env i's observation after each step
    gpu = torch.empty((N, H, h, w, 3), dtype=torch.uint8, device="cuda")
    attach_cuda_frames(env.core, gpu)              # uploaded on torch.cuda.current_stream()
"""

from __future__ import annotations


def _expected_shape(core) -> tuple[int, ...]:
    h, w, c = core.frame_shape
    return (core.num_envs, core.history, h, w, c)


def attach_frame_buffer(core, tensor) -> None:
    """Frames are written into `tensor` (CPU, uint8, contiguous, shape [N, H, h, w, 3]) by env id."""
    import torch

    if not isinstance(tensor, torch.Tensor) or tensor.device.type != "cpu":
        raise TypeError("attach_frame_buffer needs a CPU torch tensor (pinned or not); use attach_cuda_frames for GPU "
                        "tensors")
    core.set_frame_target(tensor.numpy())  # shares memory; the core keeps the array alive


def attach_cuda_frames(core, tensor, stream=None) -> None:
    """Each batch's frames are copied asynchronously into `tensor` (CUDA, uint8, [N, H, h, w, 3]) on
    `stream` (default: the current stream), so kernels queued after step() on it see them."""
    import torch

    if not isinstance(tensor, torch.Tensor) or tensor.device.type != "cuda":
        raise TypeError("attach_cuda_frames needs a CUDA torch tensor")
    if tensor.dtype != torch.uint8 or not tensor.is_contiguous() or tuple(tensor.shape) != _expected_shape(core):
        raise ValueError(f"attach_cuda_frames: need a contiguous uint8 tensor of shape {_expected_shape(core)}, got "
                         f"{tuple(tensor.shape)} {tensor.dtype}")
    s = stream if stream is not None else torch.cuda.current_stream(tensor.device)
    core.set_cuda_target(tensor.data_ptr(), tensor.numel(), s.cuda_stream)


def detach_cuda_frames(core) -> None:
    core.set_cuda_target(0, 0, 0)
