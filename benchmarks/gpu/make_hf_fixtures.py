#!/usr/bin/env python3
"""Golden fixtures for steer4j's decoder LM from Hugging Face transformers itself.

Runs where transformers and PyTorch are installed (the lent GPU machine: no JVM, no network).
For each family (llama, qwen2, gemma) it builds a tiny random model from LlamaConfig /
Qwen2Config / GemmaConfig with a fixed seed, saves it with save_pretrained (safetensors; llama
sharded through max_shard_size), runs it in float32 on CPU on a fixed right-padded batch, and
writes the layout of data/fixtures/llm/<family>/ (see data/fixtures/llm/make_llm_fixtures.py):

  config.json, model.safetensors | model-0000k-of-0000n.safetensors + model.safetensors.index.json,
  inputs.safetensors   input_ids, attention_mask int64 [N, L]  (right padding, pad id 0)
  expected.safetensors logits f32 [N, L, V], last_hidden f32 [N, L, H] (hidden_states[-1]);
                       padded positions zeroed

Everything is packed into ONE tar, OUT/hf_fixtures.tar, whose top folder is llm-hf/, so that

  tar -xf hf_fixtures.tar -C data/fixtures/

adds data/fixtures/llm-hf/<family>/, which steer4j's LogitsOracleTest picks up by itself.

Usage: python3 benchmarks/gpu/make_hf_fixtures.py "$OUT"      (about 20 s, mostly imports)
"""
import json
import math
import pathlib
import shutil
import sys
import tarfile
import tempfile
import time

import torch
import transformers
from safetensors.torch import save_file
from transformers import (GemmaConfig, GemmaForCausalLM, LlamaConfig, LlamaForCausalLM, Qwen2Config,
                          Qwen2ForCausalLM)

LENGTHS = [9, 5, 1]  # right padding to 9; a one-token row as the edge case
COMMON = dict(vocab_size=96, num_hidden_layers=2, max_position_embeddings=128, bos_token_id=1,
              eos_token_id=2, pad_token_id=0)
FAMILIES = {
    # GQA 4/2, untied head, llama3 RoPE scaling with a small original context so that all three
    # frequency bands (kept, smoothed, divided by factor) occur at head_dim 16.
    "llama": (LlamaConfig, LlamaForCausalLM, "40KB", dict(
        hidden_size=48, intermediate_size=96, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
        rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False, attention_bias=False,
        mlp_bias=False, hidden_act="silu",
        rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                          original_max_position_embeddings=64))),
    # q/k/v biases, GQA 6/2, rope_theta 1e6.
    "qwen2": (Qwen2Config, Qwen2ForCausalLM, None, dict(
        hidden_size=48, intermediate_size=80, num_attention_heads=6, num_key_value_heads=2,
        rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=False, use_sliding_window=False,
        hidden_act="silu")),
    # multi-query attention, heads * head_dim != hidden, tied embeddings, tanh GeGLU, (1 + w) norms.
    "gemma": (GemmaConfig, GemmaForCausalLM, None, dict(
        hidden_size=40, intermediate_size=72, num_attention_heads=4, num_key_value_heads=1, head_dim=12,
        rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=True, attention_bias=False,
        hidden_act="gelu_pytorch_tanh", hidden_activation="gelu_pytorch_tanh")),
}


def make_config(config_class, kwargs):
    try:
        config = config_class(**kwargs)
    except (TypeError, ValueError):
        # transformers 5 folds rope_theta / rope_scaling into rope_parameters
        kw = dict(kwargs)
        rope = dict(rope_theta=kw.pop("rope_theta"))
        rope.update(kw.pop("rope_scaling", None) or dict(rope_type="default"))
        config = config_class(rope_parameters=rope, **kw)
    try:
        config._attn_implementation = "eager"  # the plain softmax(QK^T)V path, no fused kernels
    except Exception:  # noqa: BLE001 - older/newer config classes without the setter: sdpa is fine too
        pass
    return config


def randomise(model, gemma, generator):
    """Scales that keep activations O(1), so that logits are far from 0 (relative errors mean something)."""
    with torch.no_grad():
        for name, p in model.named_parameters():  # a tied head is the embedding Parameter, visited once
            if name.endswith("norm.weight"):
                base = 0.0 if gemma else 1.0  # Gemma's norm multiplies by (1 + w)
                p.copy_(base + 0.2 * torch.randn(p.shape, generator=generator))
            elif name.endswith(".bias"):
                p.copy_(0.3 * torch.randn(p.shape, generator=generator))
            elif "embed_tokens" in name:
                p.copy_((0.3 if gemma else 1.0) * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(torch.randn(p.shape, generator=generator) / p.shape[1] ** 0.5)


def check_rope(model, config, family):
    """Fails loudly if this transformers version ignored the llama3 rope scaling asked for."""
    rotary = getattr(getattr(model, "model", model), "rotary_emb", None)
    if rotary is None or not hasattr(rotary, "inv_freq"):
        print(f"{family}: no model.rotary_emb.inv_freq to check", flush=True)
        return
    kwargs = FAMILIES[family][3]
    d = kwargs.get("head_dim") or kwargs["hidden_size"] // kwargs["num_attention_heads"]
    f = 1.0 / kwargs["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    s = kwargs.get("rope_scaling")
    if s:
        old, low, high = s["original_max_position_embeddings"], s["low_freq_factor"], s["high_freq_factor"]
        wavelen = 2 * math.pi / f
        smooth = (old / wavelen - low) / (high - low)
        scaled = torch.where(wavelen > old / low, f / s["factor"], f)
        medium = (wavelen >= old / high) & (wavelen <= old / low)
        f = torch.where(medium, (1 - smooth) * f / s["factor"] + smooth * f, scaled)
    gap = ((rotary.inv_freq.double() - f).abs() / f).max().item()
    assert gap < 1e-5, f"{family}: rotary inv_freq differs from the requested rope settings by {gap:.2e}"


def save_pretrained(model, folder, shard):
    kwargs = {} if shard is None else dict(max_shard_size=shard)
    try:
        model.save_pretrained(folder, safe_serialization=True, **kwargs)
    except TypeError:  # transformers 5: safetensors only, no safe_serialization argument
        model.save_pretrained(folder, **kwargs)


def make_family(family, root, seed):
    config_class, model_class, shard, kwargs = FAMILIES[family]
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    config = make_config(config_class, dict(COMMON, **kwargs))
    model = model_class(config).float().eval()
    randomise(model, family == "gemma", generator)
    folder = root / family
    save_pretrained(model, folder, shard)

    n, width = len(LENGTHS), max(LENGTHS)
    ids = torch.zeros(n, width, dtype=torch.int64)
    mask = torch.zeros(n, width, dtype=torch.int64)
    for i, length in enumerate(LENGTHS):
        ids[i, :length] = torch.randint(3, COMMON["vocab_size"], (length,), generator=generator)
        mask[i, :length] = 1
    check_rope(model, config, family)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits.float()
        # the base model's last_hidden_state is after the final norm in every transformers version
        # (hidden_states[-1] is too in 4.x, but how it is recorded has changed over releases)
        decoder = model.get_decoder() if hasattr(model, "get_decoder") else model.model
        hidden = decoder(input_ids=ids, attention_mask=mask).last_hidden_state.float()
        head = model.get_output_embeddings().weight.float()
        gap = ((hidden @ head.T - logits).abs().max() / logits.abs().max()).item()
        assert gap < 1e-5, f"{family}: lm_head(last_hidden_state) differs from logits by {gap:.2e}"
    keep = mask.unsqueeze(-1).float()
    logits = (logits * keep).contiguous()
    hidden = (hidden * keep).contiguous()
    save_file({"input_ids": ids, "attention_mask": mask}, str(folder / "inputs.safetensors"))
    save_file({"logits": logits, "last_hidden": hidden}, str(folder / "expected.safetensors"),
              metadata={"source": f"transformers {transformers.__version__}, torch {torch.__version__}, "
                                  f"{model_class.__name__}, float32 CPU, benchmarks/gpu/make_hf_fixtures.py"})
    (folder / "generation_config.json").unlink(missing_ok=True)  # not read by steer4j
    files = sorted(p.name for p in folder.iterdir())
    print(f"{family}: {len(files)} files {files}, |logits| max {logits.abs().max():.2f}", flush=True)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_hf_fixtures.py OUT_DIR")
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    start = time.time()
    torch.set_num_threads(4)
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp) / "llm-hf"
        root.mkdir()
        for seed, family in enumerate(FAMILIES):
            make_family(family, root, 2000 + seed)
        (root / "VERSIONS.json").write_text(json.dumps(
            {"transformers": transformers.__version__, "torch": torch.__version__,
             "script": "benchmarks/gpu/make_hf_fixtures.py"}, indent=2) + "\n")
        tar_path = out / "hf_fixtures.tar"
        with tarfile.open(tar_path, "w") as tar:
            tar.add(root, arcname="llm-hf")
        shutil.rmtree(root)
    print(f"wrote {tar_path} ({tar_path.stat().st_size / 1024:.0f} KiB) in {time.time() - start:.1f} s; "
          f"commit with: tar -xf hf_fixtures.tar -C data/fixtures/", flush=True)


if __name__ == "__main__":
    main()
