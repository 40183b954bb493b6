#!/usr/bin/python3
"""bench/reference/kid_numpy.py -- writes tests/fixtures/kid_numpy.bin, the
independent (NumPy) values that tests/cu_spire_kid.c compares spire/kid.c to.

KID as torchmetrics' KernelInceptionDistance computes it: polynomial kernel
k(x, y) = (x.y / D + 1)^3, unbiased MMD^2 (diagonals of the within-set kernel
matrices removed, cross term kept whole), mean and population std (ddof=0)
over subsets.  Written here from the formula with NumPy, not from the C code.

Fixture format (little-endian): magic b"SPLFIXT\\0", u32 version, u32 count,
then count arrays, each: name (32 bytes, NUL-padded), u64 length, float64[length].
Run with `make reference` (Debian's /usr/bin/python3 with python3-numpy).
"""
import os
import sys
import struct
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fixture import write_fixture  # noqa: E402  (the shared fixture format)

VERSION = 1
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "kid_numpy.bin")




def kernel(a, b):
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def mmd2_unbiased(x, y):
    """Unbiased MMD^2 for sets of sizes m, n (torchmetrics' formula when m = n)."""
    m, n = len(x), len(y)
    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    sxx = kxx.sum() - np.trace(kxx)
    syy = kyy.sum() - np.trace(kyy)
    return sxx / (m * (m - 1)) + syy / (n * (n - 1)) - 2.0 * kxy.sum() / (m * n)


def main():
    rng = np.random.default_rng(20261126)
    D = 5
    X = rng.standard_normal((120, D))
    Y1 = rng.standard_normal((100, D))
    Y2 = rng.standard_normal((100, D)) + 0.5
    S, m = 4, 50
    idx_real = np.stack([rng.permutation(len(X))[:m] for _ in range(S)])
    idx_fake = np.stack([rng.permutation(len(Y2))[:m] for _ in range(S)])
    vals = np.array([mmd2_unbiased(X[idx_real[s]], Y2[idx_fake[s]]) for s in range(S)])
    arrays = [
        ("dims", [D, len(X), len(Y1), len(Y2), S, m]),
        ("X", X), ("Y1", Y1), ("Y2", Y2),
        ("mmd2_xy1", [mmd2_unbiased(X, Y1)]),
        ("mmd2_xy2", [mmd2_unbiased(X, Y2)]),
        ("idx_real", idx_real), ("idx_fake", idx_fake),
        ("kid_values", vals),
        ("kid_mean", [vals.mean()]), ("kid_std", [vals.std(ddof=0)]),
    ]
    write_fixture(OUT, VERSION, arrays)
    print(f"wrote {os.path.normpath(OUT)}: mmd2(X,Y1)={arrays[4][1][0]:.6g} "
          f"mmd2(X,Y2)={arrays[5][1][0]:.6g} kid={vals.mean():.6g}+-{vals.std():.3g}")


if __name__ == "__main__":
    main()
