#!/usr/bin/env python3
"""The shipped library's code per crate: `nm --print-size --size-sort -C` of an unstripped
libfieldkit_ffi.so, text symbols grouped by the first path segment of their demangled name
(SQLite's and ring's C by their prefixes). Usage: python3 .ci/lib-bloat.py <lib.so> [rows]."""
import collections
import re
import subprocess
import sys

lib = sys.argv[1]
out = subprocess.run(["nm", "--print-size", "--size-sort", "-C", "--defined-only", lib], capture_output=True, text=True).stdout
by = collections.Counter()
total = 0
for line in out.splitlines():
    parts = line.split(" ", 3)
    if len(parts) < 4: continue
    size = int(parts[1], 16); kind = parts[2]; name = parts[3]
    if kind.lower() not in ("t", "w"): continue
    total += size
    n = name
    # strip leading generics/impl brackets: take first identifier path
    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)::", n)
    if n.startswith("sqlite3") or n.startswith("sqlcipher") or n.startswith("codec"):
        c = "libsqlite3-sys (SQLCipher, C)"
    elif n.startswith("ring_core") or n.startswith("GFp") or "_ring_core_" in n or n.startswith("ChaCha20") or n.startswith("aes_") or n.startswith("ecp_") or n.startswith("x25519") or n.startswith("bn_") or n.startswith("fiat_") or n.startswith("p256") or n.startswith("p384") or n.startswith("sha256_block") or n.startswith("sha512_block") or n.startswith("gcm_"):
        c = "ring (C/asm)"
    elif n.startswith("uniffi_fieldkit") or n.startswith("ffi_fieldkit"):
        c = "fieldkit_ffi (uniffi scaffolding)"
    elif m:
        c = m.group(1)
    else:
        c = "(other C / unnamed)"
    by[c] += size
print(f"text+weak symbols total: {total}")
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 45
for c, s in by.most_common(rows):
    print(f"{s:>10} {100*s/total:5.1f}%  {c}")
