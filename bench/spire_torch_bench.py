#!/usr/bin/python3
"""bench/spire_torch_bench.py -- the PyTorch peer of `spirelab train`, for
bench/spire_vs_torch.sh: the same score network (bench/reference/spire_torch.py's
ScoreNet: Linear/SiLU MLP on [x_t, sinusoidal temb(t) + e]), the same DDPM
eps-MSE loss with t uniform over a linear schedule (T = 1000), the same AdamW,
the same batch size, trained on rows of a CSV file (header row, one sample per
row).  Prints one CSV row:
  steps,seconds,steps_per_second,loss_mean_last100,peak_rss_mib,steps_per_second_after10
and, with --log FILE, the per-step loss as step,loss.  The clock covers every
step from the first, as `spirelab train`'s does (each side pays its own cold
start; --untimed N runs N steps before it starts, default 0);
steps_per_second_after10 is the rate of the timed steps 11.. (PyTorch's
steady rate, for information: the C side has no such figure).

Run with Debian's /usr/bin/python3 (python3-torch).
"""
import argparse
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference"))
from spire_torch import ScoreNet  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--temb", type=int, default=32)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--untimed", type=int, default=0)
    ap.add_argument("--log")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    data = torch.from_numpy(np.loadtxt(a.data, delimiter=",", skiprows=1, dtype=np.float32, ndmin=2))
    n, D = data.shape
    T = 1000
    betas = np.linspace(1e-4, 0.02, T)
    abar = np.cumprod(1.0 - betas)
    sa = torch.tensor(np.sqrt(abar), dtype=torch.float32)
    sb = torch.tensor(np.sqrt(1.0 - abar), dtype=torch.float32)
    half = a.temb // 2
    freqs = torch.exp(-np.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    net = ScoreNet(D, a.temb, a.hidden, a.layers, 1, 0)
    opt = torch.optim.AdamW(list(net.parameters()), lr=a.lr, weight_decay=0.0)
    client = torch.zeros(a.batch, dtype=torch.long)
    losses = []

    def step():
        idx = torch.randint(0, n, (a.batch,))
        t = torch.randint(1, T + 1, (a.batch,))
        x0 = data[idx]
        eps = torch.randn(a.batch, D)
        xt = sa[t - 1, None] * x0 + sb[t - 1, None] * eps
        arg = t[:, None].float() * freqs[None, :]
        te = torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)
        loss = F.mse_loss(net(xt, te, client), eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(a.untimed):  # not timed, not counted
        step()
    t0 = time.perf_counter()
    t10 = t0
    for k in range(a.steps):
        losses.append(step())
        if k == 9:
            t10 = time.perf_counter()
    t1 = time.perf_counter()
    secs = t1 - t0
    after10 = (a.steps - 10) / (t1 - t10) if a.steps > 10 else float("nan")
    if a.log:
        with open(a.log, "w") as f:
            f.write("step,loss\n")
            for k, l in enumerate(losses, 1):
                f.write(f"{k},{l:.9g}\n")
    tail = losses[-100:]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("steps,seconds,steps_per_second,loss_mean_last100,peak_rss_mib,steps_per_second_after10")
    print(f"{a.steps},{secs:.3f},{a.steps / secs:.1f},{sum(tail) / len(tail):.6g},{rss:.1f},{after10:.1f}")


if __name__ == "__main__":
    main()
