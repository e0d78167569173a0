#!/usr/bin/env python3
"""gen_module.py: a large, valid module for timing interp_module_load.

    bench/gen_module.py --bytes 1000000 -o big.wasm [--seed 1]

writes a .wat of about --bytes of code and runs wat2wasm on it (with
-o x.wat, only the text). The module has no imports, one memory, one
table holding every function, and functions of one type (i32 i32) -> i32
whose bodies look like compiled code: local arithmetic in i32 and i64,
loads and stores, if/else, short counted loops, br_table switches (the
shape of Go's resumable functions) and calls to other functions, guarded
by a condition that is false at run time so that a run reaches only the
functions it calls itself. Sizes are drawn around 600 bytes a body, a few
up to 8 KB, as in a large Go or Rust binary.

Exports:
  run(n, x) -> i32   calls table entries 0 .. n-1 (call_indirect), so a
                     run touches exactly n functions (n = 0: none);
  f0                 the first function.
"""

import argparse
import os
import random
import subprocess
import sys

LOCALS32 = ["$p", "$q", "$a", "$b", "$c", "$d", "$e", "$f"]
LOCALS64 = ["$x", "$y"]


class Body:
    """One function body; 'size' estimates its binary bytes."""

    def __init__(self, rng, nfuncs):
        self.rng = rng
        self.nfuncs = nfuncs
        self.lines = []
        self.size = 0

    def l32(self):
        return self.rng.choice(LOCALS32)

    def w32(self):
        return self.rng.choice(LOCALS32[2:])

    def k(self):
        return self.rng.choice([1, 3, 7, 16, 255, 1000, 65535, -1, -8])

    def expr32(self, depth=0):
        r = self.rng.random()
        if depth > 2 or r < 0.3:
            return f"(local.get {self.l32()})", 2
        if r < 0.45:
            return f"(i32.const {self.k()})", 3
        op = self.rng.choice(["i32.add", "i32.sub", "i32.mul", "i32.and",
                              "i32.or", "i32.xor", "i32.shl", "i32.shr_u",
                              "i32.rotl"])
        a, sa = self.expr32(depth + 1)
        b, sb = self.expr32(depth + 1)
        return f"({op} {a} {b})", sa + sb + 1

    def cond(self):
        op = self.rng.choice(["i32.lt_s", "i32.gt_u", "i32.eq", "i32.ne",
                              "i32.le_u"])
        a, sa = self.expr32(1)
        b, sb = self.expr32(2)
        return f"({op} {a} {b})", sa + sb + 1

    def addr(self):
        a, s = self.expr32(1)
        return f"(i32.and {a} (i32.const 0xfffc))", s + 5

    def emit(self, text, size):
        self.lines.append(text)
        self.size += size

    def stmt_set(self):
        e, s = self.expr32()
        self.emit(f"(local.set {self.w32()} {e})", s + 2)

    def stmt_i64(self):
        x = self.rng.choice(LOCALS64)
        op = self.rng.choice(["i64.add", "i64.mul", "i64.xor", "i64.shr_u"])
        e, s = self.expr32(1)
        self.emit(f"(local.set {x} ({op} (local.get {x}) "
                  f"(i64.extend_i32_u {e})))", s + 7)
        self.emit(f"(local.set {self.w32()} (i32.wrap_i64 (local.get {x})))",
                  4)

    def stmt_mem(self):
        a, sa = self.addr()
        if self.rng.random() < 0.5:
            v, sv = self.expr32(1)
            off = self.rng.choice([0, 4, 8, 64])
            self.emit(f"(i32.store offset={off} {a} {v})", sa + sv + 3)
        else:
            op = self.rng.choice(["i32.load", "i32.load8_u", "i32.load16_s"])
            self.emit(f"(local.set {self.w32()} ({op} {a}))", sa + 5)

    def stmt_if(self, depth):
        c, s = self.cond()
        self.emit(f"(if {c} (then", s + 2)
        self.stmts(depth + 1, self.rng.randint(1, 3))
        self.emit(") (else", 1)
        self.stmts(depth + 1, self.rng.randint(1, 3))
        self.emit("))", 1)

    def stmt_loop(self, depth):
        i = "$i"  # never written elsewhere: every loop ends
        self.emit(f"(local.set {i} (i32.const 0))", 4)
        self.emit("(block (loop", 4)
        self.emit(f"(br_if 1 (i32.ge_u (local.get {i}) (i32.const 4)))", 7)
        self.stmts(depth + 1, self.rng.randint(1, 4))
        self.emit(f"(local.set {i} (i32.add (local.get {i}) (i32.const 1)))",
                  7)
        self.emit("(br 0)))", 4)

    def stmt_switch(self, depth):
        n = self.rng.randint(3, 8)
        e, s = self.expr32(1)
        self.emit("(block " * n, 2 * n)
        labels = " ".join(str(i) for i in range(n))
        self.emit(f"(br_table {labels} (i32.and {e} (i32.const 7))))", s + n + 6)
        for _ in range(n - 1):
            self.stmts(depth + 1, self.rng.randint(1, 2))
            self.emit(")", 1)

    def stmt_call(self):
        """A call that a run never makes: $p is below 2^31 at run time."""
        callee = self.rng.randrange(self.nfuncs)
        a, sa = self.expr32(1)
        self.emit(f"(if (i32.lt_s (local.get $p) (i32.const -1000)) (then "
                  f"(local.set {self.w32()} (call $f{callee} {a} "
                  f"(local.get $q)))))", sa + 14)

    def stmts(self, depth, n):
        for _ in range(n):
            r = self.rng.random()
            if depth < 2 and r < 0.10:
                self.stmt_if(depth)
            elif depth < 2 and r < 0.16:
                self.stmt_loop(depth)
            elif depth < 2 and r < 0.20:
                self.stmt_switch(depth)
            elif r < 0.32:
                self.stmt_call()
            elif r < 0.50:
                self.stmt_mem()
            elif r < 0.60:
                self.stmt_i64()
            else:
                self.stmt_set()


def body_size(rng):
    """Mostly a few hundred bytes, a long tail to 8 KB."""
    return int(min(8000, max(40, rng.lognormvariate(5.9, 0.9))))


def function(rng, i, nfuncs):
    b = Body(rng, nfuncs)
    want = body_size(rng)
    while b.size < want:
        b.stmts(0, 1)
    locals32 = " ".join(f"(local {n} i32)" for n in LOCALS32[2:] + ["$i"])
    locals64 = " ".join(f"(local {n} i64)" for n in LOCALS64)
    result = "(local.get $a)"
    for n in ["$b", "$c", "$d", "$e", "$f"]:
        result = f"(i32.xor {result} (local.get {n}))"
    return (f"(func $f{i} (type $t) (param $p i32) (param $q i32) (result i32)"
            f" {locals32} {locals64}\n  " + "\n  ".join(b.lines) +
            f"\n  {result})\n", b.size + 20)


def module(nbytes, seed):
    rng = random.Random(seed)
    # Estimate the count first so that calls can name any function.
    nfuncs = max(1, nbytes // 620)
    funcs = []
    total = 0
    for i in range(nfuncs):
        text, size = function(rng, i, nfuncs)
        funcs.append(text)
        total += size
    names = " ".join(f"$f{i}" for i in range(nfuncs))
    return f"""(module
(type $t (func (param i32 i32) (result i32)))
(memory 2)
(table {nfuncs} funcref)
(elem (i32.const 0) {names})
(func (export "run") (param $n i32) (param $x i32) (result i32)
  (local $i i32) (local $acc i32)
  (block (loop
    (br_if 1 (i32.ge_u (local.get $i) (local.get $n)))
    (local.set $acc (i32.add (local.get $acc)
      (call_indirect (type $t) (local.get $i) (local.get $x) (local.get $i))))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br 0)))
  (local.get $acc))
(export "f0" (func $f0))
{"".join(funcs)})
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bytes", type=int, required=True,
                    help="about this many bytes of code")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", required=True, help="x.wasm or x.wat")
    args = ap.parse_args()
    text = module(args.bytes, args.seed)
    if args.output.endswith(".wat"):
        with open(args.output, "w") as f:
            f.write(text)
        return 0
    wat = args.output + ".wat"
    with open(wat, "w") as f:
        f.write(text)
    try:
        subprocess.run([os.environ.get("WAT2WASM", "wat2wasm"), wat, "-o",
                        args.output], check=True)
    finally:
        os.unlink(wat)
    print(f"{args.output}: {os.path.getsize(args.output)} bytes",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
