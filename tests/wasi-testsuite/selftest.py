#!/usr/bin/env python3
"""The runner's own test: run.py over a small made-up suite, with a fake
plugsup that checks the command line it is given and then does what the
program's name says. Proves the mapping (grants, args after '--', env,
a copied root preopened as '/', stdin from /dev/null) and that a wrong
exit code, wrong output or bad config is reported as a FAIL, exactly.

    selftest.py        (exit status 0 when every check holds)
"""
import json
import os
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "run.py")

# The fake plugsup. It exits 9 with a message when its command line is
# not what run.py promises, else by the module's name.
FAKE = r'''#!PYTHON
import os, stat, sys
argv = sys.argv[1:]
def bad(why):
    sys.stderr.write("fake: " + why + "\n")
    sys.exit(9)
if argv[:3] != ["run", "--timeout", "10s"]:
    bad("starts %r" % argv[:3])
if argv[3:7] != ["--allow", "clock", "--allow", "random"]:
    bad("grants %r" % argv[3:7])
if "--" not in argv:
    bad("no --")
cut = argv.index("--")
opts, module, args = argv[7:cut], argv[cut + 1], argv[cut + 2:]
if stat.S_ISCHR(os.fstat(0).st_mode) is False or os.read(0, 1) != b"":
    bad("stdin is not /dev/null")
name = os.path.basename(module)[:-5]
if name == "with_everything":
    want = ["--env", "X=1 2", "--env", "EMPTY="]
    if opts[:4] != want:
        bad("env %r" % opts[:4])
    if opts[4] != "--dir" or not opts[5].endswith("::/"):
        bad("dir %r" % opts[4:])
    root = opts[5][:-3]
    if os.path.realpath(root).startswith(os.path.realpath(SUITE)):
        bad("root is not a copy")
    if open(os.path.join(root, "sub", "f")).read() != "data":
        bad("root copy lacks sub/f")
    if os.readlink(os.path.join(root, "link")) != "sub/f":
        bad("root copy lacks the symlink")
    open(os.path.join(root, "written"), "w").write("x")
    if args != ["a", "-b", "--c", "3"]:
        bad("args %r" % args)
    sys.exit(0)
if opts:
    bad("options %r for a program that asks for none" % opts)
if name in ("passes", "wrong_exit"):
    sys.exit(0)
if name in ("says_hello", "says_bye"):
    sys.stdout.write("hello world\n" if name == "says_hello" else "bye\n")
    sys.stderr.write("to stderr\n")
    sys.exit(0)
if name == "exits_33":
    sys.exit(33)
bad("unknown module " + name)
'''

EXPECTED = """FAIL c/bad_config: bad config: unknown config field dirs
PASS c/exits_33
PASS c/passes
FAIL c/says_bye: stdout does not begin with 'hello'; stderr: to stderr\\n; stdout: bye\\n
PASS c/says_hello
PASS c/with_everything
FAIL c/wrong_exit: exit code 0, expected 3
PASS rust/passes
wasi-testsuite: 5 passed, 3 failed
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def make_suite(suite):
    c = os.path.join(suite, "tests", "c", "testsuite", "wasm32-wasip1")
    rust = os.path.join(suite, "tests", "rust", "testsuite", "wasm32-wasip1")
    programs = {
        (c, "passes"): None,
        (c, "wrong_exit"): {"exit_code": 3},
        (c, "exits_33"): {"exit_code": 33},
        (c, "says_hello"): {"stdout": "hello"},
        (c, "says_bye"): {"stdout": "hello"},
        (c, "bad_config"): {"dirs": ["x"]},
        (c, "with_everything"): {"args": ["a", "-b", "--c", 3],
                                 "env": {"X": "1 2", "EMPTY": ""},
                                 "root": "fs.dir"},
        (rust, "passes"): None,
    }
    for (folder, name), config in programs.items():
        write(os.path.join(folder, name + ".wasm"), "\0asm")
        if config is not None:
            write(os.path.join(folder, name + ".json"), json.dumps(config))
    write(os.path.join(c, "manifest.json"), '{"name": "made up"}')
    write(os.path.join(c, "fs.dir", "sub", "f"), "data")
    os.symlink("sub/f", os.path.join(c, "fs.dir", "link"))
    return os.path.join(c, "fs.dir")


def make_fake(path, suite):
    text = FAKE.replace("PYTHON", sys.executable, 1)
    text = text.replace("import os, stat, sys",
                        "import os, stat, sys\nSUITE = %r" % suite, 1)
    write(path, text)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)


def run(fake, suite, *extra):
    return subprocess.run([sys.executable, RUNNER, "--plugsup", fake,
                           "--suite", suite] + list(extra),
                          capture_output=True, text=True, timeout=120)


def main():
    failures = []

    def check(name, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + name)
        if not ok:
            print("  " + detail.replace("\n", "\n  "))
            failures.append(name)

    with tempfile.TemporaryDirectory() as tmp:
        suite = os.path.join(tmp, "suite")
        root = make_suite(suite)
        fake = os.path.join(tmp, "plugsup")
        make_fake(fake, suite)
        p = run(fake, suite)
        check("each program gets one line, failures say why",
              p.stdout == EXPECTED, "got:\n%s\nwant:\n%s\nstderr:\n%s"
              % (p.stdout, EXPECTED, p.stderr))
        check("a failure makes the status 1", p.returncode == 1,
              "status %d" % p.returncode)
        check("the suite's own root folder is left as it was",
              not os.path.exists(os.path.join(root, "written")))
        p = run(fake, suite, "--only", "passes|hello|33|everything")
        check("all passing makes the status 0", p.returncode == 0,
              "status %d\n%s%s" % (p.returncode, p.stdout, p.stderr))
        check("--only selects by lang/NAME",
              p.stdout.endswith("wasi-testsuite: 5 passed, 0 failed\n"),
              p.stdout)
        p = run(fake, os.path.join(tmp, "nothing"))
        check("an empty suite is an error, not a pass", p.returncode == 2,
              "status %d" % p.returncode)
    print("selftest: %d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
