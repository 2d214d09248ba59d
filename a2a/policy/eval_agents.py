"""Registers the MLLM policy as agent "mllm" with the evaluation registry.

Light on purpose (no torch import): `register` is the `a2a.agents` entry point `mllm` (pyproject.toml),
called when the registry is first read; the factory string is imported only when the agent is built,
so `a2a eval --agent mllm --model PATH` works and `a2a eval --help` stays fast.
"""

from __future__ import annotations

from a2a.eval.registry import AgentOption, builtin_specs, register_agent

MLLM_OPTIONS = (
    AgentOption("model", str, None, "LLaVA-OneVision checkpoint directory (or model id in the local cache), "
                "or a directory written by A2APolicy.save_trainable", required=True),
    AgentOption("device", str, None, "torch device (default: cuda if available, else cpu)"),
    AgentOption("dtype", str, None, "compute dtype: float32, bfloat16, float16 (default: bf16 on GPU, fp32 on CPU)"),
    AgentOption("quantization", str, None, "'nf4': LLM in 4-bit (bitsandbytes); 'none'"),
    AgentOption("attn_implementation", str, None, "auto, sdpa, flash_attention_2 or eager"),
    AgentOption("backend", str, None, "compression kernels: torch or triton"),
    AgentOption("compression", str, None, "resampler or pool (base checkpoints only)"),
    AgentOption("max_past_steps", int, None, "past steps kept in the prompt"),
    AgentOption("sample", bool, False, "sample actions instead of greedy decoding"),
    AgentOption("temperature", float, None, "sampling temperature (default: the policy's, 1.0)"),
)


def register() -> None:
    if "mllm" not in builtin_specs():
        register_agent("mllm", "a2a.policy.agent:make_mllm_agent", options=MLLM_OPTIONS,
                       help="the MLLM policy (LLaVA-OneVision + compression adapter + LoRA), constrained decoding")
