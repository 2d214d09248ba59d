"""Compile a2a.kernels' Triton kernels ahead of time for sm_90 (H100/H200) -- no GPU needed.

Prints one JSON object per kernel configuration: shared memory per CTA, registers per thread and
local-memory stack (register spills), read from the cubin with the cuobjdump that ships with
Triton. The configurations are the ones the launchers pick (``pick_blocks``) at training shapes,
with the launch-time specializations Triton's JIT applies emulated: integer arguments equal to 1
become constants, integers and pointers divisible by 16 get ``tt.divisibility = 16``.

Run: ``TRITON_INTERPRET=0 python tests/kernels/sm90_compile_check.py`` (test_sm90_compile.py does).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

os.environ["TRITON_INTERPRET"] = "0"

import torch  # noqa: E402
import triton  # noqa: E402
from triton.backends.compiler import GPUTarget  # noqa: E402
from triton.compiler import ASTSource  # noqa: E402

from a2a.kernels import frame_pool_triton as fp  # noqa: E402
from a2a.kernels import resampler_attention_triton as ra  # noqa: E402

CUOBJDUMP = os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia", "bin", "cuobjdump")
TARGET = GPUTarget("cuda", 90, 32)
TY = {torch.bfloat16: "bf16", torch.float16: "fp16", torch.float32: "fp32", torch.int32: "i32", torch.int64: "i64"}


def compile_report(name: str, kernel, args: dict, consts: dict, num_warps: int, num_stages: int) -> dict:
    names = kernel.arg_names
    signature, constexprs, attrs = {}, {}, {}
    for i, n in enumerate(names):
        if n in consts:
            signature[n] = "constexpr"
            constexprs[(i,)] = consts[n]
            continue
        v = args[n]
        if isinstance(v, torch.dtype):  # a pointer to this dtype (assumed 16-byte aligned)
            signature[n] = "*" + TY[v]
            attrs[(i,)] = [["tt.divisibility", 16]]
        elif isinstance(v, float):
            signature[n] = "fp32"
        elif v == 1:
            signature[n] = "constexpr"
            constexprs[(i,)] = 1
        else:
            signature[n] = "i32" if -(2**31) <= v < 2**31 else "i64"
            if v % 16 == 0:
                attrs[(i,)] = [["tt.divisibility", 16]]
    src = ASTSource(fn=kernel, signature=signature, constexprs=constexprs, attrs=attrs)
    compiled = triton.compile(src, target=TARGET, options=dict(num_warps=num_warps, num_stages=num_stages))
    with tempfile.NamedTemporaryFile("wb", suffix=".cubin", delete=False) as fh:
        fh.write(compiled.asm["cubin"])
    usage = subprocess.run([CUOBJDUMP, "--dump-resource-usage", fh.name], capture_output=True, text=True).stdout
    os.unlink(fh.name)
    fields = dict(kv.split(":") for kv in " ".join(line for line in usage.splitlines() if "REG:" in line).split()
                  if ":" in kv and kv.split(":")[1].isdigit())
    return {"name": name, "shared": compiled.metadata.shared, "regs": int(fields.get("REG", -1)),
            "stack": int(fields.get("STACK", -1)), "warps": num_warps, "stages": num_stages}


def pool_case(name, dtype, grid_in, out_hw, channels, taps, rows: bool):
    k1, k2 = out_hw
    block_p, block_c, warps = fp.pick_blocks(k1 * k2, channels)
    h, w = grid_in
    args = dict(src_ptr=dtype, out_ptr=dtype, rows_ptr=torch.int64 if rows else torch.int32,
                hs_ptr=torch.int32, hc_ptr=torch.int32, hw_ptr=torch.float32,
                ws_ptr=torch.int32, wc_ptr=torch.int32, ww_ptr=torch.float32,
                P=k1 * k2, C=channels, L=6592, n_rows=64 * 6592, n_pblocks=-(-k1 * k2 // block_p),
                s_f=h * w * channels, s_h=w * channels, s_w=channels, s_c=1,
                o_b=6592 * channels if rows else k1 * k2 * channels, o_l=channels, o_c=1)
    consts = dict(OUT_W=k2, HAS_ROWS=rows, FLAT_ROWS=True, I64=False, TAPS_H=taps[0], TAPS_W=taps[1],
                  BLOCK_P=block_p, BLOCK_C=block_c)
    return compile_report(name, fp._tap_gather_kernel, args, consts, warps, 3)


def attn_case(name, dtype, lq, d, backward: bool, heads=8, tokens=729):
    bm, bn, bd, warps, stages = ra.pick_blocks(lq, d, dtype, backward=backward)
    common = dict(NH=heads, LQ=lq, T=tokens, D=d)
    q = dict(sq_f=0, sq_h=lq * d, sq_m=d, sq_d=1)
    k = dict(sk_f=heads * tokens * d, sk_h=tokens * d, sk_t=d, sk_d=1)
    v = {n.replace("sk", "sv"): x for n, x in k.items()}
    o = dict(so_f=heads * lq * d, so_h=lq * d, so_m=d, so_d=1)
    consts = dict(BLOCK_M=bm, BLOCK_N=bn, BLOCK_D=bd, PRECISION=ra._precision(dtype), UPCAST=False)
    if not backward:
        args = dict(q_ptr=dtype, k_ptr=dtype, v_ptr=dtype, o_ptr=dtype, lse_ptr=torch.float32, qk_scale=0.1,
                    **common, **q, **k, **v, **o)
        return compile_report(name, ra._resampler_fwd_kernel, args, consts, warps, stages)
    do = {n.replace("so", "sdo"): x for n, x in o.items()}
    dq = {n.replace("so", "sdq"): x for n, x in o.items()}
    dk = dict(sdk_b=4096 * heads * tokens * d, **{n.replace("sk", "sdk"): x for n, x in k.items()})
    dv = {n.replace("sdk", "sdv"): x for n, x in dk.items()}
    args = dict(q_ptr=dtype, k_ptr=dtype, v_ptr=dtype, o_ptr=dtype, do_ptr=dtype, lse_ptr=torch.float32,
                dq_ptr=torch.float32, dk_ptr=dtype, dv_ptr=dtype, scale=0.1, qk_scale=0.1,
                **common, **q, **k, **v, **o, **do, **dq, **dk, **dv)
    return compile_report(name, ra._resampler_bwd_kernel, args, consts, warps, stages)


def main() -> None:
    bf16, fp32 = torch.bfloat16, torch.float32
    cases = [
        lambda: pool_case("pool bilinear bf16 27->14", bf16, (27, 27), (14, 14), 1152, (2, 2), False),
        lambda: pool_case("pool-pack bilinear bf16 27->14", bf16, (27, 27), (14, 14), 1152, (2, 2), True),
        lambda: pool_case("pool avg bf16 27->14", bf16, (27, 27), (14, 14), 1152, (3, 3), False),
        lambda: pool_case("pool bwd bilinear bf16 14->27", bf16, (14, 14), (27, 27), 1152, (2, 2), False),
        lambda: pool_case("pool bilinear fp32 27->14", fp32, (27, 27), (14, 14), 1152, (2, 2), False),
        lambda: pool_case("pool avg global bf16 27->1 (looped taps)", bf16, (27, 27), (1, 1), 1152, (27, 27), False),
        lambda: attn_case("attn fwd bf16 Lq4 D144", bf16, 4, 144, False),
        lambda: attn_case("attn bwd bf16 Lq4 D144", bf16, 4, 144, True),
        lambda: attn_case("attn fwd bf16 Lq4 D64", bf16, 4, 64, False),
        lambda: attn_case("attn bwd bf16 Lq4 D64", bf16, 4, 64, True),
        lambda: attn_case("attn fwd bf16 Lq64 D144", bf16, 64, 144, False),
        lambda: attn_case("attn bwd bf16 Lq64 D144", bf16, 64, 144, True),
        lambda: attn_case("attn fwd fp32 Lq4 D64", fp32, 4, 64, False),
        lambda: attn_case("attn bwd fp32 Lq4 D64", fp32, 4, 64, True),
        lambda: attn_case("attn fwd fp32 Lq4 D144", fp32, 4, 144, False),
        lambda: attn_case("attn bwd fp32 Lq4 D144", fp32, 4, 144, True),
    ]
    only = sys.argv[1:]
    for make in cases:
        rep = make()
        if not only or any(s in rep["name"] for s in only):
            print(json.dumps(rep), flush=True)


if __name__ == "__main__":
    main()
