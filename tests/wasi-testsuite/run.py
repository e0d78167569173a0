#!/usr/bin/env python3
"""Run the official WASI preview 1 test suite through `plugsup run`.

    run.py --plugsup PATH [--suite DIR] [--jobs N] [--timeout S]
           [--only REGEX] [--keep]

Every NAME.wasm under SUITE/tests/{c,rust,assemblyscript}/testsuite/
wasm32-wasip1/ runs once, with what its NAME.json asks for (no .json: no
arguments, no environment, no preopen, exit code 0):

  args       after the module:  plugsup run [OPTIONS] -- NAME.wasm ARGS...
  env        --env NAME=VALUE, one per variable
  root       the directory is copied to a fresh temporary one (tests write
             into it) and preopened as '/': --dir COPY::/, as the upstream
             runner does with wasmtime (adapters/wasmtime.py: --dir ROOT::/)
  exit_code  plugsup's exit status must equal it (default 0)
  stdout,    the stream must begin with this text
  stderr

stdin is /dev/null. Every run also gets --allow clock --allow random: in
plugsup the wall clock and entropy are capabilities, and the suite's
programs (clock_time_get, random_get, Rust's std start-up) assume a host
that gives them, as every other runtime does.

One line per program, "PASS lang/NAME" or "FAIL lang/NAME: why", then
"wasi-testsuite: N passed, N failed". Exit status 1 if any failed, 2 if
the suite or plugsup cannot be used. Nothing is skipped or expected to
fail: a program plugsup cannot run yet is a FAIL.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

LANGS = ("c", "rust", "assemblyscript")
SUBDIR = os.path.join("testsuite", "wasm32-wasip1")
CONFIG_KEYS = {"args", "env", "root", "exit_code", "stdout", "stderr"}
# What every program is granted beyond its own config (see above).
GRANTS = ["--allow", "clock", "--allow", "random"]
# How much of a stream a FAIL line shows.
SHOWN = 160


def default_suite():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "..", "shared",
                                         "wasi-testsuite"))


def find_programs(suite):
    """[(label, path)] for every preview 1 program, in a stable order."""
    found = []
    for lang in LANGS:
        folder = os.path.join(suite, "tests", lang, SUBDIR)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if name.endswith(".wasm"):
                found.append((lang + "/" + name[:-5],
                              os.path.join(folder, name)))
    return found


def read_config(wasm):
    """The program's config, with defaults; raises ValueError if bad."""
    path = wasm[:-5] + ".json"
    config = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    if not isinstance(config, dict):
        raise ValueError("config is not an object")
    unknown = sorted(set(config) - CONFIG_KEYS)
    if unknown:
        raise ValueError("unknown config field " + ", ".join(unknown))
    config.setdefault("args", [])
    config.setdefault("env", {})
    config.setdefault("exit_code", 0)
    return config


def command(plugsup, wasm, config, root_copy, timeout):
    argv = [plugsup, "run", "--timeout", "%ds" % timeout] + GRANTS
    for name, value in config["env"].items():
        argv += ["--env", "%s=%s" % (name, value)]
    if root_copy:
        argv += ["--dir", root_copy + "::/"]
    return argv + ["--", wasm] + [str(a) for a in config["args"]]


def one_line(data):
    text = data.decode("utf-8", "backslashreplace")
    text = text.replace("\\", "\\\\").replace("\n", "\\n")
    return text[:SHOWN] + ("..." if len(text) > SHOWN else "")


def judge(config, rc, out, err):
    """'' if the run did what the config asks, else why not."""
    why = []
    if rc != config["exit_code"]:
        why.append("exit code %d, expected %d" % (rc, config["exit_code"]))
    for key, got in (("stdout", out), ("stderr", err)):
        want = config.get(key)
        if want is not None and not got.startswith(want.encode("utf-8")):
            why.append("%s does not begin with '%s'" % (key, one_line(
                want.encode("utf-8"))))
    if why and err:
        why.append("stderr: " + one_line(err))
    if why and out and "stdout" in config:
        why.append("stdout: " + one_line(out))
    return "; ".join(why)


def run_one(args, label, wasm):
    """(label, why): why is '' for a pass."""
    try:
        config = read_config(wasm)
    except (ValueError, OSError) as e:
        return label, "bad config: %s" % e
    scratch = tempfile.mkdtemp(prefix="plugsup-wasi-")
    try:
        root_copy = None
        if config.get("root"):
            root_copy = os.path.join(scratch, "root")
            shutil.copytree(os.path.join(os.path.dirname(wasm),
                                         config["root"]),
                            root_copy, symlinks=True)
        argv = command(args.plugsup, wasm, config, root_copy, args.timeout)
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                               capture_output=True,
                               timeout=args.timeout + 30)
        except subprocess.TimeoutExpired:
            return label, "plugsup did not end %d s after its own --timeout" \
                % 30
        return label, judge(config, p.returncode, p.stdout, p.stderr)
    finally:
        if args.keep:
            print("  kept %s" % scratch, file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(
        description="Run the WASI preview 1 test suite through plugsup.")
    ap.add_argument("--plugsup", required=True, help="the plugsup binary")
    ap.add_argument("--suite", default=os.environ.get("WASI_TESTSUITE",
                                                      default_suite()),
                    help="the suite's folder (default: ../shared/"
                    "wasi-testsuite beside the repository, or "
                    "$WASI_TESTSUITE)")
    ap.add_argument("--jobs", type=int, default=2,
                    help="programs run at once (default 2)")
    ap.add_argument("--timeout", type=int, default=10,
                    help="plugsup's --timeout per program, seconds "
                    "(default 10)")
    ap.add_argument("--only", default="",
                    help="run only programs whose lang/NAME matches REGEX")
    ap.add_argument("--keep", action="store_true",
                    help="keep each program's copy of its root folder")
    args = ap.parse_args()
    if not os.access(args.plugsup, os.X_OK):
        print("wasi-testsuite: '%s' is not executable" % args.plugsup,
              file=sys.stderr)
        return 2
    programs = [p for p in find_programs(args.suite)
                if re.search(args.only, p[0])]
    if not programs:
        print("wasi-testsuite: no preview 1 programs under '%s'" % args.suite,
              file=sys.stderr)
        return 2
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        runs = [pool.submit(run_one, args, label, wasm)
                for label, wasm in programs]
        for run in runs:
            label, why = run.result()
            failed += bool(why)
            print("FAIL %s: %s" % (label, why) if why else "PASS " + label,
                  flush=True)
    print("wasi-testsuite: %d passed, %d failed"
          % (len(programs) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
