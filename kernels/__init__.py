"""Visual-token compression kernels (installed as ``a2a.kernels``).

Every op has one canonical pure-torch reference (``*_reference.py``) and a Triton implementation,
chosen explicitly per call with ``backend="torch" | "triton"``. Importing this package never
imports triton; the first ``backend="triton"`` call does (set ``TRITON_INTERPRET=1`` before it to
run the Triton kernels on CPU tensors through Triton's interpreter).
"""

from ._backend import BACKENDS
from ._pool_tables import MODES as POOL_MODES
from .api import frame_pool, llava_onevision_pool_size, pool_and_pack, resampler_attention
from .frame_pool_reference import frame_pool_reference
from .pool_pack_reference import pool_and_pack_reference
from .resampler_attention_reference import resampler_attention_reference

__all__ = [
    "BACKENDS",
    "POOL_MODES",
    "frame_pool",
    "frame_pool_reference",
    "llava_onevision_pool_size",
    "pool_and_pack",
    "pool_and_pack_reference",
    "resampler_attention",
    "resampler_attention_reference",
]
