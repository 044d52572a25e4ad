"""The worker process that runs one user filter function inside Lantern's sandbox.

`lantern run` and `lantern filter test --python` start it under bubblewrap (see
src/pipeline/python_sandbox.h) as `python3 -I -B -c "...main()"` and talk to it over its
stdin/stdout with frames: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.

  → {"name": "owner/name", "source": "<the user's Python source>", "nproc": 16}
  ← {"ready": true, "numpy": true|false}            or {"fatal": "<why it cannot run>"}
  → one batch: u32 count, then per alert u32 n + head JSON, u32 m + packet JSON (binary;
    alert.py describes both; the packet is parsed only if the function reads it)
  ← {"results": [false | true | {"annotation": {...}}, ...]}   or {"fatal": "..."}

Anything the function prints goes to stderr (fd 1 is pointed at stderr so that a print cannot
corrupt the protocol). An exception, sys.exit, a bad return value or an attempt to leave the
sandbox (socket, process, file outside /usr and /tmp) is fatal: the reply is {"fatal": ...}
and the worker exits; Lantern then disables the filter with that reason. The sandbox itself
(bubblewrap, seccomp, rlimits) is what enforces; the audit hook here only names the attempt.
"""
import json
import os
import struct
import sys
import traceback

from .alert import FilterError, _plain, call_filter, load_function

_READ_PREFIXES = ("/usr/", "/opt/lantern/", "/tmp/", "/proc/self/", "/dev/null", "/dev/urandom",
                  "/dev/zero", "/dev/random")
_WRITE_PREFIXES = ("/tmp/", "/dev/null")
_PROCESS_EVENTS = {"os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec",
                   "os.system", "subprocess.Popen", "pty.spawn"}
_NETWORK_EVENTS = {"socket.__new__", "socket.connect", "socket.bind", "socket.getaddrinfo",
                   "socket.gethostbyname", "socket.sendto", "socket.socketpair"}

_violation = None  # the first attempt to leave the sandbox


def _refuse(reason):
    global _violation
    if _violation is None:
        _violation = reason
    raise PermissionError(f"lantern sandbox: {reason}")


def _open_mode_writes(mode, flags):
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    if isinstance(flags, int):
        return (flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND)) != 0
    return False


def _audit(event, args):
    if event == "open":
        path, mode, flags = (list(args) + [None, None, None])[:3]
        if not isinstance(path, (str, bytes)):
            return  # an already open file descriptor
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        full = os.path.abspath(path)
        if _open_mode_writes(mode, flags):
            if not full.startswith(_WRITE_PREFIXES):
                _refuse(f"opened {full} for writing (only /tmp is writable)")
        elif not (full.startswith(_READ_PREFIXES) or full in ("/usr", "/tmp")):
            _refuse(f"opened {full} for reading (outside the sandbox)")
    elif event in _NETWORK_EVENTS:
        detail = ""
        if event in ("socket.connect", "socket.bind", "socket.sendto") and len(args) >= 2:
            detail = f" to {args[1]!r}" if event != "socket.bind" else f" on {args[1]!r}"
        _refuse(f"network access ({event}{detail}); the sandbox has no network")
    elif event in _PROCESS_EVENTS:
        _refuse(f"tried to start a process ({event}); filters may not start processes")


def _read_exact(fd, n):
    chunks = []
    while n:
        chunk = os.read(fd, n)
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(fd):
    header = _read_exact(fd, 4)
    if header is None:
        return None
    (length,) = struct.unpack(">I", header)
    # Read into one buffer: os.read(fd, remaining) would allocate `remaining` bytes per call.
    body = bytearray(length)
    view = memoryview(body)
    got = 0
    while got < length:
        n = os.readv(fd, [view[got:]])
        if n == 0:
            raise EOFError("input ended inside a frame")
        got += n
    return body


def write_frame(fd, obj):
    body = json.dumps(obj, separators=(",", ":"), allow_nan=False, default=_plain).encode()
    data = struct.pack(">I", len(body)) + body
    while data:
        data = data[os.write(fd, data):]


def _batch(frame):
    """Yields (head dict, packet bytes) for each alert of a batch request."""
    view = memoryview(frame)
    (count,) = struct.unpack_from(">I", view, 0)
    at = 4
    for _ in range(count):
        (n,) = struct.unpack_from(">I", view, at)
        head = json.loads(bytes(view[at + 4:at + 4 + n]))
        at += 4 + n
        (m,) = struct.unpack_from(">I", view, at)
        packet = bytes(view[at + 4:at + 4 + m])
        at += 4 + m
        yield head, packet


def _describe(exc):
    if isinstance(exc, SystemExit):
        return f"the function called sys.exit({exc.code!r})"
    if isinstance(exc, MemoryError):
        try:
            import resource
            limit = resource.getrlimit(resource.RLIMIT_AS)[0]
            return f"MemoryError: the function exceeded the memory limit ({limit >> 20} MiB)"
        except Exception:  # noqa: BLE001
            return "MemoryError: the function exceeded the memory limit"
    if isinstance(exc, FilterError):
        return str(exc)
    # The traceback from the user's first frame on (their source is compiled as "<owner/name>").
    tb = exc.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<"):
        tb = tb.tb_next
    text = "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))
    return text[-2000:].rstrip()


def main():
    # Private copies of the protocol pipes; fd 0 becomes /dev/null, fd 1 the stderr, so that
    # the user's input() or print() cannot read or corrupt a frame.
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        import numpy  # noqa: F401 - imported before the hook so that it may load its files
        have_numpy = True
    except Exception:  # noqa: BLE001
        have_numpy = False
    hello = read_frame(proto_in)
    if hello is None:
        return 0
    hello = json.loads(hello)
    name = hello.get("name", "filter")
    nproc = hello.get("nproc")
    if nproc:
        try:
            import resource
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        except (ValueError, OSError):
            pass
    sys.addaudithook(_audit)
    try:
        fn = load_function(hello.get("source", ""), f"<{name}>")
        if _violation:
            raise FilterError(f"sandbox violation: {_violation}")
    except BaseException as e:  # noqa: BLE001 - everything the user's code may raise
        reason = f"sandbox violation: {_violation}" if _violation else _describe(e)
        write_frame(proto_out, {"fatal": f"loading the function failed: {reason}"})
        return 1
    write_frame(proto_out, {"ready": True, "numpy": have_numpy})
    while True:
        frame = read_frame(proto_in)
        if frame is None:
            return 0
        results = []
        fatal = None
        for alert, packet in _batch(frame):
            try:
                r = call_filter(fn, alert, packet)
            except BaseException as e:  # noqa: BLE001
                fatal = _describe(e)
            if _violation:
                fatal = f"sandbox violation: {_violation}"
            if fatal:
                fatal = f"alert {alert.get('alertId')}: {fatal}"
                break
            results.append({"annotation": r[1]} if isinstance(r, tuple) else r)
        if fatal:
            write_frame(proto_out, {"fatal": fatal})
            return 1
        write_frame(proto_out, {"results": results})


if __name__ == "__main__":
    sys.exit(main())
