#!/usr/bin/env python3
"""Checks every steer4j CUDA kernel against PyTorch on the GPU and times it against PyTorch's
eager composition. Run by check_kernels.sh, which builds libsteer4j_cuda.so with nvcc first.

Checks: fresh random inputs, outputs poisoned with NaN before each call (an output the kernel
forgets to write fails), ||out - ref|| / ||ref|| in float64 against a float64 PyTorch reference
computed on the same input values; NaN or inf never passes. Every kernel's int status is checked
and a failure reports s4j_cuda_last_error(). Timing: CUDA events around the call, warm-up, the
median of many. Peak memory: torch.cuda.max_memory_allocated above the inputs (the kernels'
own cached workspace is tiny and is cudaMalloc'ed outside PyTorch's allocator).

  python3 check_kernels.py --lib /path/libsteer4j_cuda.so       # the GPU
  python3 check_kernels.py --cpu /path/libjnisteer4j.so   # dry run on the CPU kernels

The CPU mode runs the same harness on the CPU entry points (f32 / bf16) of the JNI library that
Maven builds, at smaller shapes: it checks the references and the plumbing where no GPU is.
Exit status 0 when every check passed, 1 otherwise, 2 when nothing could run.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import math
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

P, D, I, L64 = ctypes.c_void_p, ctypes.c_double, ctypes.c_int, ctypes.c_int64


class RewardDecoderArgs(ctypes.Structure):
    """s4j_reward_decoder_args (native/include/steer4j/reward_decoder.h): every argument of one
    reward-decoder call, forward or backward; unset fields are NULL / 0. Checked against the
    library's own layout (s4j_reward_decoder_args_layout) when the library is loaded."""
    _fields_ = ([(name, P) for name in (
        "t", "z", "w1t", "w1z", "gamma", "beta", "w2", "b2", "proj_w", "proj_b",
        "running_mean", "running_var", "r", "pre", "mean", "invstd",
        "dr", "dt", "dz", "dw1t", "dw1z", "dgamma", "dbeta", "dw2", "db2", "dproj_w", "dproj_b",
        "zproj", "work", "da", "du", "stats")]
        + [(name, L64) for name in ("B", "N", "Dt", "Du", "Dz", "H", "O", "batch_rows", "stage")]
        + [("momentum", D), ("eps", D), ("training", ctypes.c_int32)])


def check_args_layout(lib) -> None:
    """Raises when the library's s4j_reward_decoder_args (sizeof, offsets, field order) differs
    from RewardDecoderArgs."""
    layout_fn, names_fn = lib.s4j_reward_decoder_args_layout, lib.s4j_reward_decoder_args_names
    layout_fn.argtypes, layout_fn.restype = [ctypes.POINTER(L64), I], I
    names_fn.argtypes, names_fn.restype = [], ctypes.c_char_p
    count = layout_fn(None, 0)
    native = (L64 * count)()
    layout_fn(native, count)
    theirs = (list(native), names_fn().decode().split())
    fields = [f for f, _ in RewardDecoderArgs._fields_]
    ours = ([ctypes.sizeof(RewardDecoderArgs)] + [getattr(RewardDecoderArgs, f).offset for f in fields], fields)
    if theirs != ours:
        raise OSError(f"s4j_reward_decoder_args: the library's layout and fields {theirs} differ from "
                      f"check_kernels.py's {ours}; update RewardDecoderArgs")


# Argument types of each kernel family's entry points (native/include/steer4j/*.h).
SIGNATURES = {
    "s4j_reward_decoder_forward": [ctypes.POINTER(RewardDecoderArgs)],
    "s4j_reward_decoder_backward": [ctypes.POINTER(RewardDecoderArgs)],
    "s4j_logprob_forward": [P] * 5 + [L64] * 3,
    "s4j_logprob_backward": [P] * 6 + [L64] * 3,
    "s4j_decode_attention": [P] * 4 + [D, P] + [L64] * 5,
    "s4j_adam_step": [P] * 4 + [L64] + [D] * 5 + [I, L64],
}
S4J_E_ARGUMENT = -1


class KernelFailure(RuntimeError):
    pass


class Kernels:
    """The kernel library: `_cuda` entry points on device pointers, or the CPU ones (--cpu)."""

    def __init__(self, path: str, cuda: bool):
        self.cuda = cuda
        self.lib = ctypes.CDLL(path)
        check_args_layout(self.lib)
        self._error = self.lib.s4j_cuda_last_error if cuda else self.lib.s4j_last_error
        self._error.restype = ctypes.c_char_p
        self._error.argtypes = []
        self._functions = {}

    def function(self, family: str, variant: str):
        name = f"{family}_{variant}" + ("_cuda" if self.cuda else "")
        if name not in self._functions:
            fn = getattr(self.lib, name)  # AttributeError names a missing entry point
            fn.argtypes = SIGNATURES[family]
            fn.restype = I
            self._functions[name] = (name, fn)
        return self._functions[name]

    def status(self, family: str, variant: str, *args) -> int:
        return self.function(family, variant)[1](*args)

    def run(self, family: str, variant: str, *args) -> None:
        name, fn = self.function(family, variant)
        status = fn(*args)
        if status != 0:
            raise KernelFailure(f"{name} returned {status}: {self.last_error()}")

    def last_error(self) -> str:
        message = self._error()
        return message.decode(errors="replace") if message else ""


def ptr(t):
    return None if t is None else t.data_ptr()


@dataclass
class Row:
    check: str
    shape: str
    error: float | None = None
    tol: float | None = None
    ok: bool = True
    fused_ms: float | None = None
    ref_ms: float | None = None
    ref: str = ""
    fused_mib: float | None = None
    ref_mib: float | None = None
    note: str = ""


class Harness:
    def __init__(self, torch, kernels: Kernels, device, iters: int):
        self.torch = torch
        self.k = kernels
        self.device = device
        self.cuda = device.type == "cuda"
        self.iters = iters
        self.rows: list[Row] = []

    # --- tensors --------------------------------------------------------------------------
    def poisoned(self, *shape, dtype=None):
        torch = self.torch
        return torch.full(shape, float("nan"), dtype=dtype or torch.float32, device=self.device)

    def rel_err(self, out, ref) -> float:
        """||out - ref|| / ||ref|| in float64; inf when out holds NaN or inf."""
        torch = self.torch
        x, y = out.detach().to(torch.float64), ref.detach().to(torch.float64)
        if x.shape != y.shape or not bool(torch.isfinite(x).all()):
            return math.inf
        norm, diff = y.norm().item(), (x - y).norm().item()
        e = diff / norm if norm > 0 else diff
        return e if math.isfinite(e) else math.inf

    # --- timing and memory ----------------------------------------------------------------
    def sync(self):
        if self.cuda:
            self.torch.cuda.synchronize()

    def median_ms(self, fn, setup=None, warmup=3) -> float:
        """Median time of fn(); setup() runs before each call, outside the timed interval."""
        torch = self.torch
        for _ in range(warmup):
            if setup:
                setup()
            fn()
        self.sync()
        times = []
        for _ in range(self.iters):
            if setup:
                setup()
            if self.cuda:
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                fn()
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end))
            else:
                t0 = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times)

    def peak_mib(self, fn, setup=None) -> float | None:
        """Most memory PyTorch's allocator held at once during fn(), above what was held before."""
        if not self.cuda:
            return None
        torch = self.torch
        if setup:
            setup()
        self.sync()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        fn()
        self.sync()
        return (torch.cuda.max_memory_allocated() - base) / 2**20

    def add(self, row: Row) -> Row:
        if row.error is not None and row.tol is not None:
            row.ok = row.ok and row.error <= row.tol  # False for NaN / inf
        self.rows.append(row)
        mark = "ok " if row.ok else "FAIL"
        err = "" if row.error is None else f" err={row.error:.2e} (tol {row.tol:.0e})"
        t = "" if row.fused_ms is None else f" fused {row.fused_ms:.3f} ms"
        r = "" if row.ref_ms is None else f" {row.ref} {row.ref_ms:.3f} ms"
        print(f"  [{mark}] {row.check} {row.shape}{err}{t}{r} {row.note}".rstrip(), flush=True)
        return row

    def guarded(self, name: str, shape: str, fn) -> None:
        """Runs one check; an exception becomes a failed row, and the next check still runs."""
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - report everything, keep going
            self.add(Row(name, shape, ok=False, note=f"{type(e).__name__}: {e}"))
        finally:
            if self.cuda:
                self.torch.cuda.empty_cache()


# --- reward decoder ---------------------------------------------------------------------------

def check_reward_decoder(h: Harness, B=64, N=40, Dt=256, Dz=256, H=256, O=1, Du=0):
    """Fused conditioned reward decoder, training mode (batch statistics), forward and backward.
    Du > 0 folds a target projection t = u proj_w^T + proj_b (the target encoder's output layer)."""
    torch, F = h.torch, h.torch.nn.functional
    shape = f"B={B} N={N} Dt={Dt} Dz={Dz} H={H} O={O}" + (f" Du={Du} (folded)" if Du else "")
    g = torch.Generator(device=h.device).manual_seed(1)
    f32 = dict(dtype=torch.float32, device=h.device)
    R, momentum, eps = B * N, 0.1, 1e-5
    Din = Du if Du else Dt
    t, z = torch.randn(R, Din, generator=g, **f32), torch.randn(B, Dz, generator=g, **f32)
    w1t = torch.randn(H, Dt, generator=g, **f32) / math.sqrt(Dt + Dz)
    w1z = torch.randn(H, Dz, generator=g, **f32) / math.sqrt(Dt + Dz)
    gamma = torch.rand(H, generator=g, **f32) + 0.5
    beta = torch.randn(H, generator=g, **f32) * 0.2
    w2 = torch.randn(O, H, generator=g, **f32) / math.sqrt(H)
    b2 = torch.randn(O, generator=g, **f32) * 0.1
    rm0, rv0 = torch.randn(H, generator=g, **f32) * 0.1, torch.rand(H, generator=g, **f32) + 0.5
    dr = torch.randn(R, O, generator=g, **f32)
    params = [t, z, w1t, w1z, gamma, beta, w2, b2]
    if Du:
        params += [torch.randn(Dt, Du, generator=g, **f32) / math.sqrt(Du), torch.randn(Dt, generator=g, **f32) * 0.1]

    def eager(p, rm, rv):
        t_, z_, w1t_, w1z_, gamma_, beta_, w2_, b2_ = p[:8]
        if Du:
            t_ = t_ @ p[8].T + p[9]
        x = torch.cat([t_, z_.repeat_interleave(N, 0)], 1)  # the reference's concat per row
        a = x @ torch.cat([w1t_, w1z_], 1).T
        hidden = F.batch_norm(a, rm, rv, gamma_, beta_, training=True, momentum=momentum, eps=eps)
        return F.relu(hidden) @ w2_.T + b2_

    inputs = ["t", "z", "w1t", "w1z", "gamma", "beta", "w2", "b2"] + (["proj_w", "proj_b"] if Du else [])

    def descriptor(**buffers):
        """The call's s4j_reward_decoder_args: the inputs, sizes, training-mode BN and `buffers`."""
        args = RewardDecoderArgs(B=B, N=N, Dt=Dt, Du=Din, Dz=Dz, H=H, O=O, momentum=momentum, eps=eps, training=1)
        for name, tensor in list(zip(inputs, params)) + list(buffers.items()):
            setattr(args, name, ptr(tensor))
        return args

    def fused_forward(rm, rv):
        r, pre, zproj, mean, invstd = (h.poisoned(R, O), h.poisoned(R, H), h.poisoned(B, H),
                                       h.poisoned(H), h.poisoned(H))
        work = h.poisoned(H, Din)
        args = descriptor(running_mean=rm, running_var=rv, r=r, pre=pre, zproj=zproj, work=work, mean=mean,
                          invstd=invstd)
        h.k.run("s4j_reward_decoder_forward", "f32", ctypes.byref(args))
        return r, pre, mean, invstd

    def fused_backward(pre, mean, invstd):
        grads = [h.poisoned(*p.shape) for p in params]
        da, du, work = h.poisoned(R, H), h.poisoned(B, H), h.poisoned(2, H, Din)
        args = descriptor(dr=dr, pre=pre, mean=mean, invstd=invstd, da=da, du=du, work=work,
                          **{"d" + name: grad for name, grad in zip(inputs, grads)})
        h.k.run("s4j_reward_decoder_backward", "f32", ctypes.byref(args))
        return grads

    # float64 reference of the same values.
    p64 = [p.double().requires_grad_(True) for p in params]
    rm64, rv64 = rm0.double(), rv0.double()
    r64 = eager(p64, rm64, rv64)
    g64 = torch.autograd.grad(r64, p64, dr.double())
    rm, rv = rm0.clone(), rv0.clone()
    r, pre, mean, invstd = fused_forward(rm, rv)
    h.sync()
    e_fwd = max(h.rel_err(r, r64), h.rel_err(rm, rm64), h.rel_err(rv, rv64))
    grads = fused_backward(pre, mean, invstd)
    h.sync()
    names = ["t", "z", "w1t", "w1z", "gamma", "beta", "w2", "b2"] + (["proj_w"] if Du else [])
    # proj_b is a bias before training-mode batch norm: its gradient is zero (rounding only).
    errors = {n: h.rel_err(a, b) for n, a, b in zip(names, grads, g64)}
    worst = max(errors, key=errors.get)

    rm_t, rv_t = rm0.clone(), rv0.clone()
    with torch.no_grad():
        t_fused = h.median_ms(lambda: fused_forward(rm_t, rv_t))
        t_eager = h.median_ms(lambda: eager(params, rm_t, rv_t))
    # float32 reference: 1e-5 relative, the bound of the Java tests.
    h.add(Row("reward_decoder fwd", shape, e_fwd, 1e-5, fused_ms=t_fused, ref_ms=t_eager, ref="eager",
              note="r, running mean, running var"))

    def fused_step():
        _, pre_, mean_, invstd_ = fused_forward(rm_t, rv_t)
        fused_backward(pre_, mean_, invstd_)

    leaves = [p.detach().requires_grad_(True) for p in params]

    def eager_step():
        torch.autograd.grad(eager(leaves, rm_t, rv_t), leaves, dr)

    h.add(Row("reward_decoder fwd+bwd", shape, errors[worst], 1e-5, fused_ms=h.median_ms(fused_step),
              ref_ms=h.median_ms(eager_step), ref="eager", note=f"worst gradient: d{worst}"))


# --- sequence log-prob ------------------------------------------------------------------------

def logprob_inputs(h: Harness, N, L, V, dtype, seed):
    """Logits, labels, a DPO-like mask (prompt quarter, padding, one empty sequence), dlogp."""
    torch = h.torch
    g = torch.Generator(device=h.device).manual_seed(seed)
    logits = (torch.randn(N, L, V, generator=g, device=h.device) * 2).to(dtype)
    labels = torch.randint(0, V, (N, L), generator=g, device=h.device)
    mask = torch.ones(N, L, device=h.device)
    mask[:, : L // 4] = 0  # prompt
    if N >= 2:
        mask[1, L - L // 8:] = 0  # padding
    if N >= 3:
        mask[2] = 0  # nothing to score
    labels = labels.masked_fill(mask == 0, -100)  # never read by the kernel
    dlogp = torch.randn(N, generator=g, device=h.device)
    return logits, labels, mask, dlogp


def eager_logprob(torch, logits, labels, mask):
    """What PyTorch code writes: log_softmax over V, gather, masked sum."""
    index = labels.masked_fill(mask == 0, 0).unsqueeze(-1)
    return torch.log_softmax(logits, -1).gather(-1, index).squeeze(-1).float().mul(mask).sum(-1)


def trl_logprob(torch, logits, labels, mask):
    """TRL's selective_log_softmax (one sequence at a time to bound memory), then the masked sum."""
    index = labels.masked_fill(mask == 0, 0)
    if logits.dtype in (torch.float32, torch.float64):
        selected = torch.gather(logits, -1, index.unsqueeze(-1)).squeeze(-1)
        lse = torch.stack([torch.logsumexp(row, dim=-1) for row in logits])
        per_token = selected - lse
    else:
        per_token = torch.stack([torch.log_softmax(row, -1).gather(-1, i.unsqueeze(-1)).squeeze(-1)
                                 for row, i in zip(logits, index)])
    return per_token.float().mul(mask).sum(-1)


def check_logprob(h: Harness, N, L, V, dtype_name: str):
    torch = h.torch
    dtype = {"f32": torch.float32, "bf16": torch.bfloat16}[dtype_name]
    shape = f"{dtype_name} N={N} L={L} V={V}"
    logits, labels, mask, dlogp = logprob_inputs(h, N, L, V, dtype, seed=2)

    def forward(x):
        logp, lse = h.poisoned(N), h.poisoned(N, L)
        h.k.run("s4j_logprob_forward", dtype_name, ptr(x), ptr(labels), ptr(mask), ptr(logp), ptr(lse), N, L, V)
        return logp, lse

    def backward(x, lse, out):
        h.k.run("s4j_logprob_backward", dtype_name, ptr(dlogp), ptr(x), ptr(labels), ptr(mask), ptr(lse), ptr(out), N, L, V)
        return out

    # float64 reference on the same values; then drop it before timing.
    x64 = logits.double().requires_grad_(True)
    logp64 = eager_logprob(torch, x64, labels, mask.double())
    (d64,) = torch.autograd.grad(logp64, x64, dlogp.double())
    del x64
    logp, lse = forward(logits)
    e_fwd = h.rel_err(logp, logp64)
    empty_ok = N < 3 or float(logp[2]) == 0.0
    d_new = backward(logits, lse, h.poisoned(N, L, V, dtype=dtype))
    e_bwd = h.rel_err(d_new, d64)
    del d64, logp64
    work = logits.clone()
    d_in_place = backward(work, lse, work)  # dlogits over the logits buffer
    same = bool(torch.equal(d_new, d_in_place))
    zero_rows = bool((d_new[mask == 0] == 0).all())
    del d_new, d_in_place, work

    # bf16 gradients are rounded on output: unit roundoff 2^-8 = 3.9e-3 per element.
    grad_tol = 1e-5 if dtype_name == "f32" else 4e-3
    with torch.no_grad():
        t_fwd = h.median_ms(lambda: forward(logits))
        t_eager = h.median_ms(lambda: eager_logprob(torch, logits, labels, mask))
        t_trl = h.median_ms(lambda: trl_logprob(torch, logits, labels, mask))
        m_fwd = h.peak_mib(lambda: forward(logits))
        m_eager = h.peak_mib(lambda: eager_logprob(torch, logits, labels, mask))
        m_trl = h.peak_mib(lambda: trl_logprob(torch, logits, labels, mask))
    h.add(Row(f"logprob fwd", shape, e_fwd, 1e-5, ok=empty_ok, fused_ms=t_fwd, ref_ms=t_eager, ref="eager",
              fused_mib=m_fwd, ref_mib=m_eager, note="" if empty_ok else "unscored sequence not 0"))
    h.add(Row(f"logprob fwd", shape, None, None, fused_ms=t_fwd, ref_ms=t_trl, ref="trl", fused_mib=m_fwd, ref_mib=m_trl))

    def fused_step():
        lp, ls = forward(logits)
        backward(logits, ls, torch.empty_like(logits))

    work = logits.clone()

    def restore():
        work.copy_(logits)

    def fused_in_place_step():
        lp, ls = forward(work)
        backward(work, ls, work)

    def autograd_step(fn):
        def step():
            x = logits.detach().view(N, L, V).requires_grad_(True)
            torch.autograd.grad(fn(torch, x, labels, mask), x, dlogp)
        return step

    note = ("in-place == new buffer" if same else "IN-PLACE DIFFERS") + ("" if zero_rows else ", unscored rows not 0")
    h.add(Row("logprob fwd+bwd", shape, e_bwd, grad_tol, ok=same and zero_rows, fused_ms=h.median_ms(fused_step),
              ref_ms=h.median_ms(autograd_step(eager_logprob)), ref="eager", fused_mib=h.peak_mib(fused_step),
              ref_mib=h.peak_mib(autograd_step(eager_logprob)), note=note))
    h.add(Row("logprob fwd+bwd in place", shape, None, None, fused_ms=h.median_ms(fused_in_place_step, setup=restore),
              ref_ms=h.median_ms(autograd_step(trl_logprob)), ref="trl",
              fused_mib=h.peak_mib(fused_in_place_step, setup=restore), ref_mib=h.peak_mib(autograd_step(trl_logprob))))


def check_logprob_failures(h: Harness):
    """A bad label at a scored position is an error with a message; a NaN logit gives NaN logp."""
    torch = h.torch
    N, L, V = 2, 3, 7
    logits = torch.randn(N, L, V, device=h.device)
    labels = torch.tensor([[0, 7, -100], [1, 2, 3]], device=h.device)
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]], device=h.device)
    logp, lse = h.poisoned(N), h.poisoned(N, L)
    status = h.k.status("s4j_logprob_forward", "f32", ptr(logits), ptr(labels), ptr(mask), ptr(logp), ptr(lse), N, L, V)
    message = h.k.last_error()
    ok = status == S4J_E_ARGUMENT and "labels[0, 1] = 7" in message
    h.add(Row("logprob bad label refused", f"N={N} L={L} V={V}", ok=ok, note=f"status {status}: {message}"))

    labels[0, 1] = 3
    logits[1, 2, 4] = float("nan")
    h.k.run("s4j_logprob_forward", "f32", ptr(logits), ptr(labels), ptr(mask), ptr(logp), ptr(lse), N, L, V)
    h.sync()
    ok = math.isfinite(float(logp[0])) and math.isnan(float(logp[1]))
    h.add(Row("logprob NaN logit -> NaN logp", f"N={N} L={L} V={V}", ok=ok, note=f"logp = {logp.tolist()}"))


# --- decode attention -------------------------------------------------------------------------

def eager_attention(torch, q, k, v, lengths, scale):
    """Grouped matmul (no repeat_kv copy), positions past each length masked, softmax, matmul."""
    N, Hq, Dh = q.shape
    Hkv, Lmax = k.shape[1], k.shape[2]
    scores = q.reshape(N, Hkv, Hq // Hkv, Dh) @ k.transpose(2, 3) * scale
    padding = torch.arange(Lmax, device=q.device).view(1, 1, 1, Lmax) >= lengths.view(N, 1, 1, 1)
    return (torch.softmax(scores.masked_fill(padding, float("-inf")), -1) @ v).reshape(N, Hq, Dh)


def sdpa_attention(torch, q, k, v, lengths, scale):
    """PyTorch's fused attention with GQA and a length mask (the strongest stock baseline)."""
    Lmax = k.shape[2]
    keep = (torch.arange(Lmax, device=q.device).view(1, Lmax) < lengths.view(-1, 1))[:, None, None, :]
    out = torch.nn.functional.scaled_dot_product_attention(q.unsqueeze(2), k, v, attn_mask=keep, scale=scale, enable_gqa=True)
    return out.squeeze(2)


def check_attention(h: Harness, N, Hq=12, Hkv=2, Dh=128, Lmax=4096):
    torch = h.torch
    shape = f"N={N} Hq={Hq} Hkv={Hkv} Dh={Dh} Lmax={Lmax}"
    g = torch.Generator(device=h.device).manual_seed(3)
    f32 = dict(dtype=torch.float32, device=h.device)
    q = torch.randn(N, Hq, Dh, generator=g, **f32)
    k = torch.randn(N, Hkv, Lmax, Dh, generator=g, **f32)
    v = torch.randn(N, Hkv, Lmax, Dh, generator=g, **f32)
    scale = 1 / math.sqrt(Dh)

    def fused(lengths, kc=k, vc=v):
        out = h.poisoned(N, Hq, Dh)
        h.k.run("s4j_decode_attention", "f32", ptr(q), ptr(kc), ptr(vc), ptr(lengths), scale, ptr(out), N, Hq, Hkv, Lmax, Dh)
        return out

    # Correctness at ragged lengths (1, Lmax and odd ones), the padding poisoned with NaN.
    lengths = torch.randint(1, Lmax + 1, (N,), generator=g, device=h.device)
    lengths[0] = Lmax
    if N > 1:
        lengths[1] = 1
    pad = (torch.arange(Lmax, device=h.device).view(1, 1, Lmax, 1) >= lengths.view(N, 1, 1, 1))
    kp, vp = k.masked_fill(pad, float("nan")), v.masked_fill(pad, float("nan"))
    ref = eager_attention(torch, q.double(), k.double(), v.double(), lengths, scale)
    error = h.rel_err(fused(lengths, kp, vp), ref)
    del kp, vp, ref

    full = torch.full((N,), Lmax, device=h.device, dtype=torch.int64)
    with torch.no_grad():
        t_fused = h.median_ms(lambda: fused(full))
        t_eager = h.median_ms(lambda: eager_attention(torch, q, k, v, full, scale))
    h.add(Row("decode_attention", shape, error, 1e-5, fused_ms=t_fused, ref_ms=t_eager, ref="eager",
              note=f"lengths {lengths.tolist()[:4]}{'...' if N > 4 else ''}, NaN padding"))
    try:
        with torch.no_grad():
            t_sdpa = h.median_ms(lambda: sdpa_attention(torch, q, k, v, full, scale))
        h.add(Row("decode_attention", shape, None, None, fused_ms=t_fused, ref_ms=t_sdpa, ref="sdpa"))
    except Exception as e:  # noqa: BLE001 - older PyTorch: no enable_gqa
        print(f"  (no SDPA baseline: {type(e).__name__}: {e})")


def check_attention_invalid_lengths(h: Harness):
    """Lengths outside [1, Lmax]: NaN outputs on CUDA (no sync to report), an error on the CPU."""
    torch = h.torch
    N, Hq, Hkv, Lmax, Dh = 3, 4, 2, 8, 16
    q = torch.randn(N, Hq, Dh, device=h.device)
    k, v = torch.randn(N, Hkv, Lmax, Dh, device=h.device), torch.randn(N, Hkv, Lmax, Dh, device=h.device)
    lengths = torch.tensor([0, 5, Lmax + 1], device=h.device)
    out = h.poisoned(N, Hq, Dh)
    out[1] = 0
    status = h.k.status("s4j_decode_attention", "f32", ptr(q), ptr(k), ptr(v), ptr(lengths), 0.25, ptr(out), N, Hq, Hkv, Lmax, Dh)
    h.sync()
    if h.cuda:
        ok = status == 0 and bool(out[0].isnan().all()) and bool(out[2].isnan().all()) and bool(out[1].isfinite().all())
        note = "NaN rows for lengths 0 and Lmax+1, finite for 5"
    else:
        ok = status == S4J_E_ARGUMENT
        note = f"status {status}: {h.k.last_error()}"
    h.add(Row("decode_attention invalid lengths", f"N={N} Lmax={Lmax}", ok=ok, note=note))


# --- report -----------------------------------------------------------------------------------

def table(rows: list[Row]) -> str:
    def num(x, fmt):
        return "" if x is None else format(x, fmt)

    lines = ["| check | shape | rel err | tol | ok | fused ms | ref | ref ms | speedup | fused MiB | ref MiB | note |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        speedup = r.ref_ms / r.fused_ms if r.fused_ms and r.ref_ms else None
        lines.append(
            f"| {r.check} | {r.shape} | {num(r.error, '.1e')} | {num(r.tol, '.0e')} | {'yes' if r.ok else 'NO'} | "
            f"{num(r.fused_ms, '.3f')} | {r.ref} | {num(r.ref_ms, '.3f')} | {num(speedup, '.1f')}{'x' if speedup else ''} | "
            f"{num(r.fused_mib, '.0f')} | {num(r.ref_mib, '.0f')} | {r.note} |")
    return "\n".join(lines)


def load_cpu_library(path: str, openblas_dir: str | None) -> None:
    """The JNI library links OpenBLAS by soname: load it (and its Fortran runtime) first."""
    folder = Path(openblas_dir) if openblas_dir else ROOT / "java/target/native-deps/org/bytedeco/openblas/linux-x86_64"
    for name in ("libquadmath.so.0", "libgcc_s.so.1", "libgfortran.so.5", "libopenblas.so.0"):
        if (folder / name).exists():
            ctypes.CDLL(str(folder / name), mode=ctypes.RTLD_GLOBAL)


# --- fused Adam / AdamW ------------------------------------------------------------------------

def check_adam(h: Harness, n=25_000_000, decoupled=False):
    """Five fused steps against torch.optim.Adam / AdamW (for-loop implementation) on the same
    gradients; time one step against torch's own foreach and fused implementations."""
    torch = h.torch
    g = torch.Generator(device=h.device).manual_seed(3)
    f32 = dict(dtype=torch.float32, device=h.device)
    lr, b1, b2, eps, wd = 1e-3, 0.9, 0.999, 3e-5, 0.01
    p0 = torch.randn(n, generator=g, **f32)
    grads = [torch.randn(n, generator=g, **f32) * 0.1 for _ in range(5)]
    ours, m, v = p0.clone(), torch.zeros_like(p0), torch.zeros_like(p0)
    ref = p0.clone().requires_grad_(True)
    cls = torch.optim.AdamW if decoupled else torch.optim.Adam
    opt = cls([ref], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd, foreach=False)
    for step, grad in enumerate(grads, 1):
        h.k.run("s4j_adam_step", "f32", ptr(ours), ptr(grad), ptr(m), ptr(v), n, lr, b1, b2, eps, wd, int(decoupled), step)
        ref.grad = grad.clone()
        opt.step()
    h.sync()
    err = h.rel_err(ours, ref.detach().double())
    name = "adamw" if decoupled else "adam"
    fused_ms = h.median_ms(lambda: h.k.run("s4j_adam_step", "f32", ptr(ours), ptr(grads[0]), ptr(m), ptr(v), n, lr, b1, b2, eps, wd, int(decoupled), 6))
    for impl in ("foreach", "fused"):
        p_ = p0.clone().requires_grad_(True)
        p_.grad = grads[0].clone()
        o = cls([p_], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd, **{impl: True})
        o.step()
        h.add(Row(f"{name} step", f"n={n}", err if impl == "foreach" else None, 1e-6 if impl == "foreach" else None,
                  fused_ms=fused_ms, ref_ms=h.median_ms(o.step), ref=f"torch {impl}", note="5 steps vs torch for-loop" if impl == "foreach" else ""))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--lib", help="libsteer4j_cuda.so (check the CUDA kernels on the GPU)")
    source.add_argument("--cpu", help="libjnisteer4j.so (dry run of this harness on the CPU kernels)")
    parser.add_argument("--openblas-dir", help="folder of libopenblas.so.0 for --cpu (default: the Maven build's)")
    parser.add_argument("--iters", type=int, default=0, help="timed calls per measurement (default 30 GPU, 5 CPU)")
    parser.add_argument("--only", default="", help="comma-separated families: reward_decoder,logprob,attention")
    args = parser.parse_args(argv)

    start = time.time()
    import torch  # imported here so that the module itself loads without PyTorch

    cuda = args.lib is not None
    if cuda and not torch.cuda.is_available():
        print("check_kernels: PyTorch sees no CUDA device", file=sys.stderr)
        return 2
    if not cuda:
        load_cpu_library(args.cpu, args.openblas_dir)
    try:
        kernels = Kernels(args.lib or args.cpu, cuda)
    except OSError as e:
        print(f"check_kernels: cannot load {args.lib or args.cpu}: {e}", file=sys.stderr)
        return 2
    if not cuda:
        kernels.lib.s4j_set_num_threads(os.cpu_count() or 1)
    torch.backends.cuda.matmul.allow_tf32 = False  # float32 baselines in float32, not TF32
    device = torch.device("cuda" if cuda else "cpu")
    h = Harness(torch, kernels, device, args.iters or (30 if cuda else 5))
    if cuda:
        p = torch.cuda.get_device_properties(0)
        print(f"== {p.name}, {p.multi_processor_count} SMs, {p.total_memory / 2**30:.0f} GiB; "
              f"PyTorch {torch.__version__}, CUDA {torch.version.cuda}")
    else:
        print(f"== CPU dry run, {os.cpu_count()} threads; PyTorch {torch.__version__}")
    only = {s.strip() for s in args.only.split(",") if s.strip()}

    def wanted(family):
        return not only or family in only

    # Shapes: the issue's on the GPU; a CPU dry run keeps V = 152k but fewer positions.
    lp_n, lp_l = (4, 512) if cuda else (2, 64)
    att_ns = (1, 8) if cuda else (1, 2)
    if wanted("reward_decoder"):
        print("-- reward decoder")
        h.guarded("reward_decoder", "B=64 N=40", lambda: check_reward_decoder(h))
        h.guarded("reward_decoder folded", "B=64 N=40 Du=256", lambda: check_reward_decoder(h, Du=256))
    if wanted("logprob"):
        print("-- sequence log-prob")
        for dtype_name in ("f32", "bf16"):
            h.guarded(f"logprob {dtype_name}", f"N={lp_n} L={lp_l} V=152064",
                      lambda d=dtype_name: check_logprob(h, lp_n, lp_l, 152064, d))
        h.guarded("logprob failures", "", lambda: check_logprob_failures(h))
    if wanted("adam"):
        print("-- fused Adam")
        size = 25_000_000 if cuda else 1_000_000
        for decoupled in (False, True):
            h.guarded(f"adam decoupled={decoupled}", f"n={size}", lambda d=decoupled: check_adam(h, size, d))
    if wanted("attention"):
        print("-- decode attention")
        for n in att_ns:
            h.guarded("decode_attention", f"N={n}", lambda n=n: check_attention(h, n))
        h.guarded("decode_attention invalid lengths", "", lambda: check_attention_invalid_lengths(h))

    report = table(h.rows)
    failed = [r for r in h.rows if not r.ok]
    summary = (f"{len(h.rows) - len(failed)}/{len(h.rows)} checks passed in {time.time() - start:.0f} s"
               + (f"; FAILED: {', '.join(r.check + ' ' + r.shape for r in failed)}" if failed else ""))
    print()
    print(report)
    print()
    print(summary)
    out = os.environ.get("OUT")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "check_kernels.md").write_text(report + "\n\n" + summary + "\n")
        (Path(out) / "check_kernels.json").write_text(json.dumps([asdict(r) for r in h.rows], indent=1, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
