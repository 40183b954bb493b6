#!/usr/bin/python3
"""bench/reference/spire_torch.py -- writes tests/fixtures/spire_torch.bin, the
PyTorch twin of the C score network that tests/cu_spire_ref.c compares to.

For each embedding placement (time, hidden):
 1. the C trainer writes a checkpoint after a few AdamW steps
    ($SPIRELAB train ... --steps 5), so weights, embeddings and optimiser
    moments are all nonzero;
 2. this script reads that checkpoint with its own parser (checking magic,
    version, sizes and the CRC-32), builds the same network in PyTorch
    (nn.Linear, SiLU, sinusoidal time embedding, client embedding), loads the
    weights, runs one batch (x_t, t, eps drawn here), and records the output,
    the eps-MSE loss, every parameter's gradient, and the parameters after one
    torch.optim.AdamW step continuing from the checkpoint's moments.

Fixture format (little-endian): magic b"SPLFIXT\\0", u32 version, u32 count,
then count arrays, each: name (32 bytes, NUL-padded), u64 length, float64[length].
Run with `make reference` (env SPIRELAB = the spirelab binary; Debian's
/usr/bin/python3 with python3-torch and python3-numpy).
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fixture import write_fixture  # noqa: E402  (the shared fixture format)
import torch
import torch.nn.functional as F

VERSION = 1
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "spire_torch.bin")
SPIRELAB = os.environ.get("SPIRELAB", os.path.join(ROOT, "build", "spirelab"))

CASES = [  # name, embed_at, D, E, H, L
    ("time", "time", 3, 8, 16, 3),
    ("hidden", "hidden", 3, 8, 16, 2),
]
LR, WD, B = 1e-2, 1e-2, 8




def read_checkpoint(path):
    """Parse a spirelab checkpoint (format in spire/ckpt.h), version 1."""
    raw = open(path, "rb").read()
    if raw[:8] != b"SPIRECKP":
        sys.exit(f"{path}: bad magic")
    version, hdr = struct.unpack_from("<II", raw, 8)
    if version != 1 or hdr != 136:
        sys.exit(f"{path}: version {version}, header {hdr}: this script reads version 1")
    if zlib.crc32(raw[:-4]) != struct.unpack_from("<I", raw, len(raw) - 4)[0]:
        sys.exit(f"{path}: checksum mismatch")
    f = struct.unpack_from("<12Q", raw, 16)
    hp = struct.unpack_from("<5d", raw, 16 + 96)
    D, E, H, L, C, at, kind, T, npar, nemb, step, seed = f
    off = 16 + hdr
    betas = np.frombuffer(raw, "<f8", T, off); off += 8 * T
    def f32(n):
        nonlocal off
        a = np.frombuffer(raw, "<f4", n, off).copy(); off += 4 * n
        return a
    params, embed = f32(npar), f32(nemb)
    m, v, me, ve = f32(npar), f32(npar), f32(nemb), f32(nemb)
    assert off == len(raw) - 4, "size mismatch"
    return dict(D=D, E=E, H=H, L=L, C=C, embed_at=at, T=T, step=step, lr=hp[0], beta1=hp[1],
                beta2=hp[2], eps=hp[3], wd=hp[4], betas=betas, params=params, embed=embed,
                m=m, v=v, me=me, ve=ve)


def split_block(flat, D, E, H, L):
    """The backbone block in C order: w1 (H,D+E), b1 (H), wh (L-1,H,H), bh (L-1,H), wo (D,H), bo (D)."""
    shapes = [("w1", (H, D + E)), ("b1", (H,)), ("wh", (L - 1, H, H)), ("bh", (L - 1, H)),
              ("wo", (D, H)), ("bo", (D,))]
    out, off = {}, 0
    for name, shp in shapes:
        n = int(np.prod(shp))
        out[name] = flat[off:off + n].reshape(shp)
        off += n
    assert off == flat.size
    return out


def temb(t, E):
    """Sinusoidal embedding in float64, rounded to float32 (as spire/nn.h)."""
    half = E // 2
    f = np.exp(-np.log(10000.0) * np.arange(half) / half)
    a = t[:, None].astype(np.float64) * f[None, :]
    return np.concatenate([np.sin(a), np.cos(a)], axis=1).astype(np.float32)


class ScoreNet(torch.nn.Module):
    def __init__(self, D, E, H, L, C, embed_at):
        super().__init__()
        self.embed_at = embed_at
        self.lin1 = torch.nn.Linear(D + E, H)
        self.hidden = torch.nn.ModuleList([torch.nn.Linear(H, H) for _ in range(L - 1)])
        self.out = torch.nn.Linear(H, D)
        self.embed = torch.nn.Parameter(torch.zeros(C, E if embed_at == 0 else H))

    def forward(self, x, te, client):
        e = self.embed[client]
        z = torch.cat([x, te + e if self.embed_at == 0 else te], dim=1)
        pre = self.lin1(z)
        if self.embed_at == 1:
            pre = pre + e
        h = F.silu(pre)
        for lin in self.hidden:
            h = F.silu(lin(h))
        return self.out(h)

    def backbone(self):
        """Parameters in the C block order."""
        ps = [self.lin1.weight, self.lin1.bias]
        ps += [l.weight for l in self.hidden] + [l.bias for l in self.hidden]
        return ps + [self.out.weight, self.out.bias]


def run_case(tag, embed_at, D, E, H, L, tmpdir):
    ck = os.path.join(tmpdir, f"{tag}.ckpt")
    cmd = [SPIRELAB, "train", "--data", f"gmm:K=4,D={D},n=400,means=random,seed=3",
           "--hidden", str(H), "--layers", str(L), "--temb", str(E), "--embed-at", embed_at,
           "--steps", "5", "--batch", "32", "--lr", str(LR), "--wd", str(WD), "--seed", "7",
           "--T", "1000", "--checkpoint", ck]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    c = read_checkpoint(ck)
    assert (c["D"], c["E"], c["H"], c["L"]) == (D, E, H, L)
    torch.manual_seed(0)
    net = ScoreNet(D, E, H, L, c["C"], c["embed_at"])
    blk = split_block(c["params"], D, E, H, L)
    with torch.no_grad():
        net.lin1.weight.copy_(torch.from_numpy(blk["w1"]))
        net.lin1.bias.copy_(torch.from_numpy(blk["b1"]))
        for l, lin in enumerate(net.hidden):
            lin.weight.copy_(torch.from_numpy(blk["wh"][l]))
            lin.bias.copy_(torch.from_numpy(blk["bh"][l]))
        net.out.weight.copy_(torch.from_numpy(blk["wo"]))
        net.out.bias.copy_(torch.from_numpy(blk["bo"]))
        net.embed.copy_(torch.from_numpy(c["embed"].reshape(net.embed.shape)))

    rng = np.random.default_rng(1234)
    x = rng.standard_normal((B, D)).astype(np.float32)
    t = rng.integers(1, c["T"] + 1, size=B).astype(np.float32)
    eps = rng.standard_normal((B, D)).astype(np.float32)
    out = net(torch.from_numpy(x), torch.from_numpy(temb(t, E)), torch.zeros(B, dtype=torch.long))
    loss = F.mse_loss(out, torch.from_numpy(eps))
    loss.backward()
    params = net.backbone() + [net.embed]
    grads = np.concatenate([p.grad.detach().numpy().ravel() for p in net.backbone()])
    gembed = net.embed.grad.detach().numpy().ravel()

    opt = torch.optim.AdamW(params, lr=LR, betas=(c["beta1"], c["beta2"]), eps=c["eps"],
                            weight_decay=WD, foreach=False)
    moff = 0
    for p in net.backbone():
        n = p.numel()
        opt.state[p] = {"step": torch.tensor(float(c["step"])),
                        "exp_avg": torch.from_numpy(c["m"][moff:moff + n].reshape(p.shape)).clone(),
                        "exp_avg_sq": torch.from_numpy(c["v"][moff:moff + n].reshape(p.shape)).clone()}
        moff += n
    opt.state[net.embed] = {"step": torch.tensor(float(c["step"])),
                            "exp_avg": torch.from_numpy(c["me"].reshape(net.embed.shape)).clone(),
                            "exp_avg_sq": torch.from_numpy(c["ve"].reshape(net.embed.shape)).clone()}
    opt.step()
    after = np.concatenate([p.detach().numpy().ravel() for p in net.backbone()])
    embed_after = net.embed.detach().numpy().ravel()
    p = tag + "_"
    return [
        (p + "dims", [D, E, H, L, c["C"], c["embed_at"], c["T"], B, c["step"]]),
        (p + "hyper", [LR, c["beta1"], c["beta2"], c["eps"], WD]),
        (p + "params", c["params"]), (p + "embed", c["embed"]),
        (p + "adam_m", c["m"]), (p + "adam_v", c["v"]),
        (p + "adam_me", c["me"]), (p + "adam_ve", c["ve"]),
        (p + "x", x), (p + "t", t), (p + "eps", eps),
        (p + "out", out.detach().numpy()), (p + "loss", [loss.item()]),
        (p + "grads", grads), (p + "gembed", gembed),
        (p + "params_after", after), (p + "embed_after", embed_after),
    ]


def main():
    torch.set_num_threads(1)
    arrays = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            arrays += run_case(*case, tmp)
    write_fixture(OUT, VERSION, arrays)
    print(f"wrote {os.path.relpath(OUT, ROOT)} ({len(arrays)} arrays, torch {torch.__version__})")


if __name__ == "__main__":
    main()
