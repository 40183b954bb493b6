"""bench/reference/_fixture.py — the versioned binary fixture format the C
tests read (tests/cu_spire_ref.c, tests/cu_spire_kid.c): magic "SPLFIXT\\0",
version and count (uint32 LE), then per array a 32-byte name, its length
(uint64 LE) and its float64 LE values.  Written atomically (temp + rename).
Imported by the fixture writers; running it alone does nothing."""
import os
import struct

import numpy as np

def write_fixture(path, version, arrays):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"SPLFIXT\0")
        f.write(struct.pack("<II", version, len(arrays)))
        for name, a in arrays:
            a = np.ascontiguousarray(np.asarray(a, dtype="<f8").ravel())
            f.write(name.encode().ljust(32, b"\0"))
            f.write(struct.pack("<Q", a.size))
            f.write(a.tobytes())
    os.replace(tmp, path)
