#!/usr/bin/env python3
"""make_reply_seeds.py: writes fuzz_reply's brokered seeds (byte 0 = 0x10:
a START run with a policy), ABI seeds (byte 0 = 0x20 | run: INSPECT,
tool METADATA, process CALL, observe CALL) and INVOKE seeds (byte 0 = 1:
result values) into fuzz/regressions/fuzz_reply/. Each seed is
a worker's reply stream: Hello, then host calls as proto/hostcall.h lists
them. Run it again after changing the protocol, and commit the result."""
import os
import struct

OPS = {name: i for i, name in enumerate("""_ fd_advise fd_allocate fd_close
fd_datasync fd_fdstat_get fd_fdstat_set_flags fd_fdstat_set_rights
fd_filestat_get fd_filestat_set_size fd_filestat_set_times fd_pread
fd_pwrite fd_read fd_readdir fd_renumber fd_seek fd_sync fd_tell fd_write
fd_prestat_get fd_prestat_dir_name path_create_directory path_filestat_get
path_filestat_set_times path_link path_open path_readlink
path_remove_directory path_rename path_symlink path_unlink_file
poll_oneoff sock_accept sock_recv sock_send sock_shutdown
clock_time_get""".split())}
PROTOCOL = 4
I32, I64, V128 = 1, 2, 7


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def field(num, wire, payload):
    key = varint(num << 3 | wire)
    if wire == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload


def frame(envelope):
    return struct.pack("<I", len(envelope)) + envelope


def hello():
    return frame(field(1, 2, field(1, 0, PROTOCOL)))


def call(ident, op, args, data=b"", data2=b""):
    body = field(1, 0, ident) + field(2, 0, OPS[op])
    for kind, value in args:
        body += field(3, 2, field(1, 0, kind) + field(2, 0, value))
    if data:
        body += field(4, 2, data)
    if data2:
        body += field(5, 2, data2)
    return frame(field(4, 2, body))


def i(v):
    return (I32, v)


def I(v):
    return (I64, v)


RW = I((1 << 1) | (1 << 6) | (1 << 2))
SEEDS = {
    "read-a-file": [
        ("fd_prestat_get", [i(3)]), ("fd_prestat_dir_name", [i(3), i(3)]),
        ("path_open", [i(3), i(1), i(0), I(2), I(0), i(0)], b"file.txt"),
        ("fd_read", [i(5), i(64)]), ("fd_seek", [i(5), I(0), i(0)]),
        ("fd_pread", [i(5), i(8), I(2)]), ("fd_filestat_get", [i(5)]),
        ("fd_close", [i(5)])],
    "escapes": [
        ("path_open", [i(3), i(1), i(0), I(2), I(0), i(0)], b"../etc/passwd"),
        ("path_open", [i(3), i(1), i(0), I(2), I(0), i(0)], b"/etc/passwd"),
        ("path_open", [i(3), i(1), i(0), I(2), I(0), i(0)], b"out"),
        ("path_filestat_get", [i(3), i(1)], b"out"),
        ("path_readlink", [i(3), i(64)], b"out"),
        ("path_open", [i(3), i(0), i(9), RW, I(0), i(0)], b"file.txt"),
        ("path_unlink_file", [i(3)], b"file.txt"),
        ("path_rename", [i(3), i(4)], b"file.txt", b"moved"),
        ("path_link", [i(3), i(1), i(4)], b"out", b"l")],
    "write-in-tmp": [
        ("path_create_directory", [i(4)], b"d"),
        ("path_open", [i(4), i(0), i(1), RW, I(0), i(1)], b"d/f"),
        ("fd_write", [i(5)], b"hello, broker"),
        ("fd_pwrite", [i(5), I(100)], b"x"),
        ("fd_filestat_set_size", [i(5), I(3)]),
        ("fd_filestat_set_times", [i(5), I(1), I(2), i(5)]),
        ("fd_renumber", [i(5), i(9)]), ("fd_tell", [i(9)]),
        ("path_symlink", [i(4)], b"d/f", b"s"),
        ("path_readlink", [i(4), i(2)], b"s"),
        ("fd_readdir", [i(4), i(200), I(0)]),
        ("fd_readdir", [i(4), i(30), I(2)]),
        ("path_rename", [i(4), i(4)], b"d/f", b"g"),
        ("path_unlink_file", [i(4)], b"s"),
        ("path_remove_directory", [i(4)], b"d")],
    "poll-clock-sock": [
        ("poll_oneoff", [I(7), i(0), i(1), I(0), i(0),
                         I(8), i(1), i(3), I(0), i(0)]),
        ("poll_oneoff", [I(1), i(2), i(1), I(0), i(0)]),
        ("clock_time_get", [i(0), I(1)]),
        ("sock_accept", [i(3), i(0)]), ("sock_recv", [i(99), i(0)]),
        ("fd_fdstat_get", [i(1)]), ("fd_fdstat_set_rights", [i(3), I(1), I(1)]),
        ("fd_advise", [i(3), I(0), I(0), i(9)]),
        ("fd_allocate", [i(3), I(0), I(1)])],
}


def abi_data(call, data, index=0, more=False):
    body = field(1, 2, call.encode()) + field(3, 2, data)
    if index:
        body += field(2, 0, index)
    if more:
        body += field(4, 0, 1)
    return frame(field(9, 2, body))


def abi_match(abi, problems=(), error=b""):
    body = field(1, 0, abi)
    for p in problems:
        body += field(2, 2, p)
    if error:
        body += field(3, 2, error)
    return body


def result(*extra):
    return frame(field(6, 2, field(1, 0, 1) + b"".join(extra)))


ABI_SEEDS = {
    "inspect": (0x20, [
        abi_data("plugin_name", b"tk"), abi_data("plugin_tool_name", b"a", 1),
        result(field(11, 2, abi_match(1, [b"missing export 'alloc'"])),
               field(11, 2, abi_match(2)),
               field(11, 2, abi_match(3, [], b"describe: bad")),
               field(12, 2, b'{"id":"x"}'))]),
    "tool-metadata": (0x21, [
        abi_data("plugin_name", b"n"), abi_data("plugin_version", b"1"),
        abi_data("plugin_tool_name", b"t", 0, True),
        abi_data("plugin_tool_name", b"u", 0), result()]),
    "process-call": (0x22, [
        abi_data("process", b"\x00\x01", 0, True),
        abi_data("process", b"\xff"), result()]),
    "observe-call": (0x23, [
        abi_data("observe", b'{"status": false, "error": "no"}'), result()]),
}


def value(kind, bits, v128=b""):
    return field(1, 0, kind) + field(2, 0, bits) + (field(3, 2, v128) if v128 else b"")


# INVOKE results: a v128 (its 16 bytes) beside an i32.
INVOKE_SEEDS = {
    "v128": [result(field(5, 2, value(V128, 0, bytes(range(0xf0, 0x100)))),
                    field(5, 2, value(I32, 7)))],
}


def main():
    out = os.path.join(os.path.dirname(__file__), "regressions", "fuzz_reply")
    for name, calls in SEEDS.items():
        stream = hello()
        for n, c in enumerate(calls, 1):
            stream += call(n, *c)
        with open(os.path.join(out, "seed-broker-" + name), "wb") as f:
            f.write(bytes([0x10]) + stream)
    for name, frames in INVOKE_SEEDS.items():
        with open(os.path.join(out, "seed-invoke-" + name), "wb") as f:
            f.write(bytes([0x01]) + hello() + b"".join(frames))
    for name, (how, frames) in ABI_SEEDS.items():
        with open(os.path.join(out, "seed-abi-" + name), "wb") as f:
            f.write(bytes([how]) + hello() + b"".join(frames))


if __name__ == "__main__":
    main()
