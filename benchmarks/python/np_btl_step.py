#!/usr/bin/env python3
"""PyTorch eager baseline for RewardStepBenchmark: one NP-BTL training step written as the
reference (kasia-kobalczyk/few-shot-steerable-alignment, src/models.py) writes it: gather the
batch, MLP target encoder, context encoder over [chosen ; rejected] with torch's
MultiheadAttention + sum, outer MLP, decoder MLP with BatchNorm over concat[target, z], BTL
log-probs, NLL, backward, Adam.

Usage: python3 np_btl_step.py [uf|synthetic] [threads] [steps]
Run with the PyTorch CPU wheel (e.g. a venv with /opt/wheels/torch-*.whl) on the same machine
and thread count as the JMH run; it prints the median step time in ms.
"""
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

shape = sys.argv[1] if len(sys.argv) > 1 else "uf"
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 30
torch.set_num_threads(threads)
torch.manual_seed(0)

B, T, C, H = 64, 20, 10, 256
D = 4096 if shape == "uf" else 1
N = 4000 if shape == "uf" else 20000


def mlp(i, h, o, bn=False):
    if bn:
        return nn.Sequential(nn.Linear(i, h, bias=False), nn.BatchNorm1d(h), nn.ReLU(), nn.Linear(h, o, bias=False))
    return nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o))


class NpBtl(nn.Module):
    def __init__(self):
        super().__init__()
        self.target = mlp(D, H, H)
        self.context_inner = nn.Linear(2 * D, H) if shape == "uf" else mlp(2 * D, H, H)
        self.attention = nn.MultiheadAttention(H, 8, 0.1, batch_first=True)
        self.outer = mlp(H, H, H)
        self.decoder = mlp(2 * H, H, 1, bn=True)

    def forward(self, pairs_t, choices_t, pairs_c, choices_c):
        t = self.target(pairs_t.view(-1, D)).view(B, T * 2, H)
        chosen = torch.where(choices_c == 0, pairs_c[:, :, 0, :], pairs_c[:, :, 1, :])
        rejected = torch.where(choices_c == 1, pairs_c[:, :, 0, :], pairs_c[:, :, 1, :])
        x = self.context_inner(torch.cat([chosen, rejected], dim=-1))
        x = self.attention(x, x, x)[0].sum(dim=1)
        z = self.outer(x)
        z = z.unsqueeze(1).expand(-1, T * 2, -1)
        r = self.decoder(torch.cat([t, z], dim=-1).view(-1, 2 * H)).view(B, T, 2)
        ra, rb = r[..., 0], r[..., 1]
        logp = torch.stack([F.logsigmoid(ra - rb), F.logsigmoid(rb - ra)], dim=-1)
        return -logp.gather(-1, choices_t.unsqueeze(-1)).mean()


pairs = torch.randn(N, 2, D)
model = NpBtl()
opt = torch.optim.Adam(model.parameters(), lr=1e-4, eps=3e-5)


def step():
    rows = torch.randint(0, N, (B, T))  # task sampling is cheap next to the step; keep it so
    pairs_t = pairs.index_select(0, rows.flatten()).view(B, T, 2, D)
    choices_t = torch.randint(0, 2, (B, T))
    idx = torch.randperm(T)[:C]
    pairs_c, choices_c = pairs_t[:, idx], choices_t[:, idx].unsqueeze(-1)
    opt.zero_grad()
    loss = model(pairs_t, choices_t, pairs_c, choices_c)
    loss.backward()
    opt.step()
    return loss.item()


for _ in range(5):
    step()
times = []
for _ in range(steps):
    t0 = time.perf_counter()
    step()
    times.append((time.perf_counter() - t0) * 1e3)
print(f"pytorch {torch.__version__} eager NP-BTL step, {shape}, {threads} threads: median {statistics.median(times):.2f} ms, min {min(times):.2f} ms")
