#!/usr/bin/env python3
"""Remote HPC agent: file operations and commands for the VS Code extension, over stdin/stdout.

Standard library only, Python 3.6+. It is uploaded to ~/.cache/remote-hpc/agent-<hash>.py and
started over an SSH exec channel; it exits as soon as stdin closes, and leaves nothing running.

Wire format (after the handshake line; see src/core/agent/protocol.ts for the other side):
  header (16 bytes, big endian): magic b"RH", type u8, flags u8, id u32, json_len u32, bin_len u32
  then json_len bytes of UTF-8 JSON (zlib-compressed when flags & 1) and bin_len raw bytes
  (zlib-compressed when flags & 2). Types: 1 request, 2 response, 3 error, 4 event, 5 cancel.
Every request runs on a thread of its own, so a slow one (a hung NFS read) never queues the
others; a single lock serialises frames. Anything user-supplied that can run long (content
search, filter regexes: Python's re holds the GIL and cannot be interrupted) runs in a forked
child with a time limit, killed on cancel. A watchdog ends the agent within a second when its
parent dies; a closed stdin ends it at once.
Subscriptions (watch, follow) answer at once and then push events carrying the request id.

Adding an operation: write `def op_name(ctx, p, payload)` returning a JSON-able result or
(result, bytes), register it in HANDLERS, and declare it in src/core/agent/operations.ts (its
parameters are read only as p["name"] when required, p.get("name") when optional, or p passed on
to a helper: test/unit/agent-operations.test.ts checks the reads against that table). ctx.cancelled is a threading.Event; ctx.emit()
pushes an event; ctx.on_cancel(fn) registers a callback run when the request is cancelled.
"""
import array
import errno
import fcntl
import functools
import gc
import hashlib
import heapq
import json
import os
import pickle
import re
import select
import shutil
import signal
import stat
import struct
import subprocess
import sys
import threading
import time
import warnings
import zlib

PROTOCOL = 1
MAGIC = b"RH"
HEADER = struct.Struct(">2sBBIII")
T_REQUEST, T_RESPONSE, T_ERROR, T_EVENT, T_CANCEL = 1, 2, 3, 4, 5
F_JSON_ZLIB, F_BIN_ZLIB = 1, 2
COMPRESS_MIN = 16 * 1024
MAX_FRAME = 1 << 31
# Temp files of atomic writes: ".remote-hpc-<16 hex>.tmp" (fixed length, so a 255-byte name can
# be saved), exactly TEMP_RE of src/core/remote/common.ts. Only these, owned by us, are ever
# deleted; the names of older versions (LEGACY_TEMP_RE) are hidden from listings, never deleted.
TEMP_RE = re.compile(r"^\.remote-hpc-[0-9a-f]{16}\.tmp$")
LEGACY_TEMP_RE = re.compile(r"^\..+\.remote-hpc-[0-9a-f]{8}\.tmp$", re.S)
TEMP_STALE_S = 3600
# Time limits of user-supplied work (seconds): a filter over one folder, a whole search.
FILTER_TIMEOUT_S = 10.0
SEARCH_TIMEOUT_S = 300.0
# Content search skips files larger than this unless asked not to (maxFileSize null); it reports
# what it skipped, at most SEARCH_MAX_SKIPPED entries (counted beyond that).
SEARCH_MAX_FILE_SIZE = 10 * 1024 * 1024
SEARCH_MAX_SKIPPED = 500
# A watched folder with more entries than this is watched as a whole (its own stat) only.
WATCH_MAX_ENTRIES = 50000
WATCH_INTERVAL_S = 1.0
WATCH_MAX_INTERVAL_S = 60.0
FOLLOW_INTERVAL_S = 0.2


def is_temp(name):
    return TEMP_RE.match(name) is not None or LEGACY_TEMP_RE.match(name) is not None


class AgentError(Exception):
    def __init__(self, message, code="EINVAL"):
        Exception.__init__(self, message)
        self.code = code


# ---------------------------------------------------------------------------------------------
# Framing


class Compressible(bytes):
    """A payload write_frame compresses, as it does big JSON: columns, not file bytes (those
    are sent as they are)."""


class Channel(object):
    def __init__(self, fd_in, fd_out):
        self.fd_in = fd_in
        self.fd_out = fd_out
        self.lock = threading.Lock()

    def read_exact(self, n):
        chunks = []
        while n > 0:
            b = os.read(self.fd_in, min(n, 1 << 20))
            if not b:
                return None
            chunks.append(b)
            n -= len(b)
        return b"".join(chunks)

    def read_frame(self):
        head = self.read_exact(HEADER.size)
        if head is None:
            return None
        magic, ftype, flags, rid, jlen, blen = HEADER.unpack(head)
        if magic != MAGIC or jlen > MAX_FRAME or blen > MAX_FRAME:
            raise AgentError("bad frame header", "EPROTO")
        body = self.read_exact(jlen + blen) if jlen + blen else b""
        if body is None:
            return None
        js = body[:jlen]
        payload = body[jlen:]
        if flags & F_JSON_ZLIB:
            js = zlib.decompress(js)
        if flags & F_BIN_ZLIB:
            payload = zlib.decompress(payload)
        msg = json.loads(js.decode("utf-8", "surrogatepass")) if js else {}
        return ftype, rid, msg, payload

    def write_frame(self, ftype, rid, msg, payload=b""):
        js = json.dumps(msg, separators=(",", ":"), ensure_ascii=True).encode("ascii")
        flags = 0
        if len(js) >= COMPRESS_MIN:
            z = zlib.compress(js, 1)
            if len(z) < len(js) * 0.9:
                js = z
                flags |= F_JSON_ZLIB
        payload = payload or b""
        if isinstance(payload, Compressible) and len(payload) >= COMPRESS_MIN:
            z = zlib.compress(payload, 1)
            if len(z) < len(payload) * 0.9:
                payload = z
                flags |= F_BIN_ZLIB
        head = HEADER.pack(MAGIC, ftype, flags, rid & 0xFFFFFFFF, len(js), len(payload))
        with self.lock:
            self._write_all(head + js if len(payload) > 65536 else head + js + payload)
            if len(payload) > 65536:
                self._write_all(payload)

    def _write_all(self, data):
        view = memoryview(data)
        while view:
            n = os.write(self.fd_out, view)
            view = view[n:]


# ---------------------------------------------------------------------------------------------
# Request context and dispatch


class Context(object):
    def __init__(self, agent, rid):
        self.agent = agent
        self.id = rid
        self.cancelled = threading.Event()
        self._callbacks = []
        self._lock = threading.Lock()

    def emit(self, event, payload=b""):
        if not self.cancelled.is_set():
            self.agent.channel.write_frame(T_EVENT, self.id, event, payload)

    def on_cancel(self, fn):
        with self._lock:
            if self.cancelled.is_set():
                fn()
            else:
                self._callbacks.append(fn)

    def cancel(self):
        with self._lock:
            self.cancelled.set()
            callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            try:
                fn()
            except Exception:  # noqa: BLE001 - a failing callback must not stop the others
                pass

    def check(self):
        if self.cancelled.is_set():
            raise AgentError("cancelled", "ECANCELED")


class Agent(object):
    def __init__(self, channel):
        self.channel = channel
        self.contexts = {}
        self.lock = threading.Lock()
        self.children = set()
        self.forked = set()
        self.umask = current_umask()

    def serve(self):
        while True:
            frame = self.channel.read_frame()
            if frame is None:
                return
            ftype, rid, msg, payload = frame
            if ftype == T_CANCEL:
                with self.lock:
                    ctx = self.contexts.get(rid)
                if ctx is not None:
                    ctx.cancel()
            elif ftype == T_REQUEST:
                ctx = Context(self, rid)
                with self.lock:
                    self.contexts[rid] = ctx
                start_thread(lambda c=ctx, m=msg, b=payload: self.run_request(c, m, b))

    def run_request(self, ctx, msg, payload):
        keep = False
        try:
            op = msg.get("op")
            handler = HANDLERS.get(op)
            if handler is None:
                raise AgentError("unknown operation: %r" % (op,), "ENOSYS")
            out = handler(ctx, msg, payload)
            if isinstance(out, Subscription):
                keep = True
                out, data = {"subscribed": True}, b""
            elif isinstance(out, tuple):
                out, data = out
            else:
                data = b""
            self.channel.write_frame(T_RESPONSE, ctx.id, out, data)
        except BaseException as e:  # noqa: BLE001 - every failure becomes an error frame
            try:
                self.channel.write_frame(T_ERROR, ctx.id, error_json(e))
            except OSError:
                os._exit(0)
        finally:
            if not keep:
                self.forget(ctx)

    def forget(self, ctx):
        with self.lock:
            if self.contexts.get(ctx.id) is ctx:
                del self.contexts[ctx.id]

    def shutdown(self):
        with self.lock:
            contexts = list(self.contexts.values())
        for ctx in contexts:
            ctx.cancel()
        for proc in list(self.children):
            kill_tree(proc)
        for pid in list(self.forked):
            kill_pid(pid)


class Subscription(object):
    """Returned by handlers that keep running and push events until cancelled."""


def error_json(e):
    if isinstance(e, AgentError):
        return {"message": str(e), "code": e.code}
    if isinstance(e, OSError) and e.errno:
        code = errno.errorcode.get(e.errno, "EIO")
        where = e.filename if e.filename is not None else ""
        if e.filename2 is not None:
            where = "%s -> %s" % (e.filename, e.filename2)
        text = "%s: %s" % (e.strerror or code, where) if where != "" else (e.strerror or code)
        return {"message": text, "code": code, "errno": e.errno}
    if isinstance(e, re.error):
        return {"message": "invalid regular expression: %s" % e, "code": "EINVAL"}
    return {"message": "%s: %s" % (type(e).__name__, e), "code": "EIO"}


def current_umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def kill_pid(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def kill_tree(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        try:
            proc.kill()
        except OSError:
            pass


def child_guard(agent, timeout):
    """In a forked worker: drop the agent's pipes, die with the agent, and a CPU-time backstop
    (re holds the GIL, so no thread of the worker could stop it)."""
    for fd in (agent.channel.fd_in, agent.channel.fd_out):
        try:
            os.close(fd)
        except OSError:
            pass
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux: the CPU limit below still ends it
        pass
    if os.getppid() == 1:
        os._exit(1)
    try:
        import resource
        limit = int(timeout) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 5))
    except Exception:  # noqa: BLE001
        pass


def start_forked(ctx, fn, timeout, what, hint=""):
    """Starts fn() in a forked worker and returns a function that waits for its result; the
    worker is killed after `timeout` seconds or when the request is cancelled (then AgentError
    ETIMEDOUT / ECANCELED, the message naming `what` and `hint`)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(r)
            child_guard(ctx.agent, timeout)
            try:
                out = (True, fn())
            except BaseException as e:  # noqa: BLE001 - reported to the parent
                out = (False, error_json(e))
            view = memoryview(pickle.dumps(out, 2))
            while view:
                view = view[os.write(w, view):]
        except BaseException:  # noqa: BLE001
            code = 1
        os._exit(code)
    os.close(w)
    ctx.agent.forked.add(pid)
    deadline = time.time() + timeout

    def join():
        chunks, done = [], False
        try:
            while True:
                ctx.check()
                left = deadline - time.time()
                if left <= 0:
                    raise AgentError("%s took longer than %g s and was stopped%s" % (what, timeout, hint), "ETIMEDOUT")
                if select.select([r], [], [], min(left, 0.2))[0]:
                    b = os.read(r, 1 << 20)
                    if not b:
                        done = True
                        break
                    chunks.append(b)
        finally:
            os.close(r)
            if not done:
                kill_pid(pid)
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass
            ctx.agent.forked.discard(pid)
        if not chunks:
            raise AgentError("%s failed: its worker process ended without an answer" % what, "EIO")
        ok, value = pickle.loads(b"".join(chunks))
        if not ok:
            raise AgentError(value["message"], value.get("code", "EIO"))
        return value

    return join


def run_forked(ctx, fn, timeout, what):
    """fn()'s result, computed in a forked worker with a time limit (see start_forked): user
    regexes, which hold the GIL however long they backtrack."""
    return start_forked(ctx, fn, timeout, what, " (a regular expression that backtracks catastrophically?)")()


def open_regular(path):
    """(file, stat) of a regular file, opened without blocking: a FIFO, socket or device is
    refused with a clear error (opening a FIFO for reading waits for a writer forever)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise AgentError("is a directory: %s" % path, "EISDIR")
            raise AgentError("not a regular file (%s): %s" % (special_kind(st.st_mode), path), "EINVAL")
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb"), st


def special_kind(mode):
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


# ---------------------------------------------------------------------------------------------
# Helpers shared by operations


def join(directory, name):
    return directory + name if directory.endswith("/") else directory + "/" + name


def type_char(mode):
    if stat.S_ISREG(mode):
        return "f"
    if stat.S_ISDIR(mode):
        return "d"
    if stat.S_ISLNK(mode):
        return "l"
    return "o"


def stat_json(path, lst=None):
    """lstat of path; for a symlink, the target's type, size, mtime and mode (when it resolves)."""
    if lst is None:
        lst = os.lstat(path)
    out = {"type": type_char(lst.st_mode), "size": lst.st_size,
           "mtimeMs": int(lst.st_mtime * 1000), "mode": stat.S_IMODE(lst.st_mode)}
    if out["type"] == "l":
        try:
            st = os.stat(path)
        except OSError:
            out["targetType"] = "o"
        else:
            out["targetType"] = type_char(st.st_mode)
            out["size"] = st.st_size
            out["mtimeMs"] = int(st.st_mtime * 1000)
            out["mode"] = stat.S_IMODE(st.st_mode)
    return out


_PATTERN_TOKEN_RE = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]])*\]|[()|*+?{]")


def is_linear_pattern(pattern):
    """True for a regex that cannot backtrack catastrophically: no groups, alternation or
    backreferences, and at most one quantifier (like the usual `\\.tmp$` or `^core\\.\\d+$`).
    Such filters run in the agent itself; any other goes to a forked worker with a time limit."""
    quantifiers = 0
    for m in _PATTERN_TOKEN_RE.finditer(pattern):
        t = m.group()
        if t[0] == "\\":
            if t[1:].isdigit() or t[1:] in ("g", "k"):
                return False  # a backreference
        elif t[0] == "[":
            continue
        elif t in "()|":
            return False
        else:
            quantifiers += 1
    return quantifiers <= 1


class Filter(object):
    """Slycat semantics: an entry is dropped when its full path matches a reject and no allow.

    The client translated every pattern to Python syntax (src/core/remote/filters.ts), and they
    are compiled with re.ASCII so \\w, \\d and \\b agree with JavaScript.
    """

    def __init__(self, spec):
        spec = spec or {}
        self.file_allow = self._compile(spec.get("fileAllow"))
        self.file_reject = self._compile(spec.get("fileReject"))
        self.dir_allow = self._compile(spec.get("dirAllow"))
        self.dir_reject = self._compile(spec.get("dirReject"))
        self.empty = not (self.file_reject or self.dir_reject)
        self.linear = all(is_linear_pattern(x) for k in ("fileAllow", "fileReject", "dirAllow", "dirReject")
                          for x in spec.get(k) or [])

    @staticmethod
    def _compile(patterns):
        out = []
        for p in patterns or []:
            try:
                out.append(re.compile(p, re.ASCII))
            except re.error as e:
                raise AgentError("invalid filter %r: %s" % (p, e))
        return out

    def keep(self, path, is_dir):
        reject, allow = (self.dir_reject, self.dir_allow) if is_dir else (self.file_reject, self.file_allow)
        if not any(r.search(path) for r in reject):
            return True
        return any(a.search(path) for a in allow)

    def apply(self, prefix, names, is_dir):
        """The names (of one folder, `prefix` its path with a slash) this filter keeps: one
        comprehension per list, what keep() decides for each."""
        reject, allow = (self.dir_reject, self.dir_allow) if is_dir else (self.file_reject, self.file_allow)
        if not reject:
            return names
        rej = reject[0].search if len(reject) == 1 else (lambda s: any(r.search(s) for r in reject))
        if not allow:
            return [n for n in names if not rej(prefix + n)]
        return [n for n in names if not rej(prefix + n) or any(a.search(prefix + n) for a in allow)]


# ---------------------------------------------------------------------------------------------
# Operations


def op_info(ctx, p, payload):
    return {"protocol": PROTOCOL, "python": sys.version.split()[0], "pid": os.getpid(),
            "platform": sys.platform, "host": os.uname()[1]}


def op_home(ctx, p, payload):
    return {"home": os.path.expanduser("~")}


def op_getenv(ctx, p, payload):
    return {"env": dict((n, os.environ.get(n)) for n in p.get("names") or [])}


_TYPE_BY_FMT = {stat.S_IFREG: "f", stat.S_IFDIR: "d", stat.S_IFLNK: "l"}
_LIST_CACHE = {}  # (path, hidden, filter, sort, descending, natural, name) -> (dir mtime_ns, when, rows)
_LIST_CACHE_LOCK = threading.Lock()
LIST_CACHE_S = 5.0
LIST_CACHE_MAX = 8
LIST_CACHE_MAX_ROWS = 1000000


# Past STREAM_AT names, a page does not keep the folder's names: every STREAM_AT further names,
# each group is cut to what the page needs (the first offset + limit + STREAM_KEEP in the
# listing's order; for `locate`, the names either side of it), so the agent's memory is bounded
# by STREAM_AT and the page, not by the folder. Only those first names are cached (a Prefix, for
# PREFIX_CACHE_S): the next pages come from them, a page past them or Go to Entry is a scan.
STREAM_AT = 200000
STREAM_KEEP = 2000
PREFIX_CACHE_S = 30.0


class Prefix(list):
    """The first names of a streamed listing (see STREAM_AT), in its order, and its total."""

    total = 0

    def covers(self, offset, limit):
        return len(self) == self.total or (limit is not None and offset + int(limit) <= len(self))


def streamed_prefix(dirs, files, counted):
    """The names two Heads hold that are the listing's own first ones: the folders', then the
    files' only when the folders' Head holds every folder."""
    rows = Prefix(dirs.names + files.names if len(dirs.names) == counted[0] else dirs.names)
    rows.total = counted[0] + counted[1]
    return rows


def scan(path, flt, hidden, match=None, cuts=None):
    """(dirs, files, totals) of a folder as name lists, filtered (name query `match`, then the
    path filter); d_type tells folders apart. Names only (no DirEntry objects): a 100,000-entry
    folder stays a few MB. With `cuts` (for the folders and the files, each a Head or an Around),
    a folder of more than STREAM_AT names is fed to them as it is read (see STREAM_AT): then dirs
    and files are the cuts and totals is (folders, files) counted; otherwise totals is None and
    the lists are whole."""
    prefix = path if path.endswith("/") else path + "/"
    dirs, files = [], []
    counted = None
    room = STREAM_AT if cuts is not None else -1  # names until the next cut
    with os.scandir(path) as it:
        for e in it:
            name = e.name
            if name[0] == "." and (not hidden or is_temp(name)):
                continue
            if match is not None and not match(name):
                continue
            try:
                is_dir = e.is_dir()  # follows symlinks: a link to a folder counts as a folder
            except OSError:
                is_dir = False
            (dirs if is_dir else files).append(name)
            room -= 1
            if room == 0:
                room = STREAM_AT
                counted = feed_cuts(cuts, counted, flt.apply(prefix, dirs, True), flt.apply(prefix, files, False))
                dirs, files = [], []
    dirs, files = flt.apply(prefix, dirs, True), flt.apply(prefix, files, False)
    if counted is None:
        return dirs, files, None
    return cuts[0], cuts[1], feed_cuts(cuts, counted, dirs, files)


def feed_cuts(cuts, counted, dirs, files):
    cuts[0].add(dirs)
    cuts[1].add(files)
    counted = counted or (0, 0)
    return counted[0] + len(dirs), counted[1] + len(files)


def guarded_scan(ctx, path, spec, hidden, timeout, match=None, cuts=None):
    """scan(); user filter regexes that could backtrack run in a worker with a time limit (see
    run_forked), linear ones here (a fork and the names' way back cost ~30 ms per 100,000)."""
    flt = Filter(spec)
    if flt.empty or flt.linear:
        return scan(path, flt, hidden, match, cuts)
    return run_forked(ctx, lambda: scan(path, flt, hidden, match, cuts), timeout, "the filter of %s" % path)


def listing_order(names, desc, natural):
    return natural_sorted(names, desc) if natural else sorted(names, reverse=desc)


class Order(object):
    """A group's order in the listing: by name (code point or natural order, `desc` reversing
    it), or with `index` by a field of entry_stat (2 size, 3 modified time) with ties by name
    A to Z whatever the direction, as sort_rows orders. A keyed order stats the names it sorts
    (with `ctx`, a big group in two processes, see in_two) and keeps the values of the names
    its cut keeps only. Plain data (see Head): `ctx` stays behind when it is pickled."""

    def __init__(self, desc, natural, prefix=None, index=None, ctx=None):
        self.desc, self.natural, self.prefix, self.index, self.ctx = desc, natural, prefix, index, ctx
        self.values = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["ctx"] = None
        return state

    def read_values(self, names):
        """The sort values of names (0 for one gone since the scan, as sort_rows puts it)."""
        prefix, i = self.prefix, self.index
        out = []
        with EntryLstat(prefix) as lstat:
            for name in names:
                try:
                    st = lstat(name)
                    if stat.S_ISLNK(st.st_mode):
                        out.append(entry_stat(prefix + name)[i])  # a link's are its target's
                    else:
                        out.append(st.st_size if i == 2 else int(st.st_mtime * 1000))
                except OSError:
                    out.append(0)
        return out

    def stat(self, names):
        values = self.values
        new = [n for n in names if n not in values]
        for part, got in in_two(self.ctx, self.read_values, new, "reading the entries of %s" % self.prefix):
            values.update(zip(part, got))

    def sort(self, names):
        if self.index is None:
            return listing_order(names, self.desc, self.natural)
        self.stat(names)
        # Stable, reversed too: ties keep their name order (as sort_rows).
        return sorted(listing_order(names, False, self.natural), key=self.values.__getitem__, reverse=self.desc)

    def end(self, k, names, first=True):
        """The first (or the last) k of names in this order, in it: picked out with a heap rather
        than every name sorted where the order allows (10 ms, not 64, per 200,000 names)."""
        small = first != self.desc  # the smallest keys, in Python's order
        if k <= 0:
            return []
        if self.index is None:
            if self.natural and len(set(name_shapes(names))) != 1:
                ordered = self.sort(names)
                return ordered[:k] if first else ordered[-k:]
            # Code point order; names of one shape are in natural order so (see natural_sorted).
            return self.picked(k, names, first)
        self.stat(names)
        values = self.values
        pick = heapq.nsmallest if small else heapq.nlargest
        edge = values[pick(k, names, key=values.__getitem__)[-1]]
        # Every name up to the k-th's value, its ties among them, then in order by name too.
        near = [n for n in names if (values[n] <= edge if small else values[n] >= edge)]
        ordered = self.sort(near)
        return ordered[:k] if first else ordered[-k:]

    def picked(self, k, names, first=True):
        """The first (or the last) k of names in code point order in this direction, in it: a heap."""
        got = heapq.nsmallest(k, names) if first != self.desc else heapq.nlargest(k, names)
        return got if first else got[::-1]

    def key(self, name):
        """A key that sorts ascending in this order (the name is sorted, so stat'ed, first)."""
        name_key = natural_key(name) if self.natural else name
        if self.index is None:
            return name_key
        value = self.values.get(name, 0)
        return (-value if self.desc else value, name_key)

    def before(self, a, b):
        """Whether key a comes before key b."""
        return a > b if self.desc and self.index is None else a < b

    def keep(self, *groups):
        if self.index is not None:
            kept = set().union(*groups)
            self.values = dict((n, v) for n, v in self.values.items() if n in kept)


def group_order(key, desc, natural, prefix, in_dirs, ctx=None):
    """The Order of the folders (in_dirs) or the files of a listing sorted by `key`: folders
    stay in name order, A to Z, when sorting by size (their size says nothing)."""
    if key == "name":
        return Order(desc, natural)
    if key == "size" and in_dirs:
        return Order(False, natural)
    return Order(desc, natural, prefix, 2 if key == "size" else 3, ctx)


class Head(object):
    """The first k names of a group in its Order (and with `tail` the last k too), fed a big
    folder's names as they are read. Plain data: it may come back from a forked worker."""

    def __init__(self, k, order, tail=False):
        self.k, self.order, self.tail = k, order, tail
        self.names = []

    def add(self, names):
        k, o, both = self.k, self.order, self.names + names
        if len(both) > 4 * k:
            self.names = o.end(k, both) + (o.end(k, both, first=False) if self.tail else [])
        else:
            ordered = o.sort(both)
            self.names = ordered if self.tail and len(ordered) <= 2 * k else ordered[:k] + (ordered[-k:] if self.tail else [])
        o.keep(self.names)


class Around(object):
    """Where `name` falls in its group's Order, and the k names before it and the k from it on
    (it first, when there), fed a big folder's names as they are read (see Head)."""

    def __init__(self, name, k, order):
        self.name, self.k, self.order = name, k, order
        order.sort([name])
        self.key = order.key(name)
        self.before_count = 0
        self.below, self.after = [], []

    def add(self, names):
        o, k, name = self.order, self.k, self.name
        if o.index is None and len(names) > 4 * k and (not o.natural or len(set(name_shapes(names + [name]))) == 1):
            # Code point order (see Head.add): the names before it counted, the k either side
            # picked out, not every name sorted.
            if o.desc:
                before, after = [n for n in names if n > name], [n for n in names if n <= name]
            else:
                before, after = [n for n in names if n < name], [n for n in names if n >= name]
            self.before_count += len(before)
            self.below = o.sort(self.below + o.picked(k, before, first=False))[-k:]
            self.after = o.sort(self.after + o.picked(k, after))[:k]
            return
        ordered = o.sort(names)
        lo, hi = 0, len(ordered)
        while lo < hi:  # the first name not before self.name
            mid = (lo + hi) // 2
            if o.before(o.key(ordered[mid]), self.key):
                lo = mid + 1
            else:
                hi = mid
        k = self.k
        self.before_count += lo
        self.below = o.sort(self.below + ordered[max(0, lo - k):lo])[-k:]
        self.after = o.sort(self.after + ordered[lo:lo + k])[:k]
        o.keep(self.below, self.after, [self.name])

    def page(self, others, in_dirs, counted):
        """(page, position, offset) of the page of k holding the name, `others` the Head (with
        tail) of the other group; None when the name is not in the listing."""
        if self.after[:1] != [self.name]:
            return None
        k = self.k
        position = (0 if in_dirs else counted[0]) + self.before_count
        offset = position - position % k
        m = position - offset  # entries before the name on its page
        page = self.below[max(0, len(self.below) - m):] if m else []
        if len(page) < m:  # the page starts among the folders (the name is a file's)
            page = others.names[max(0, len(others.names) - (m - len(page))):] + page
        page += self.after[:k - m]
        if in_dirs and len(page) < k:  # the page goes on into the files
            page += others.names[:k - len(page)]
        return page, position, offset


_DIGITS_RE = re.compile(r"[0-9]+")


def _digit_run(m):
    digits = m.group().lstrip("0")
    return "\x00\x02" + chr(1 + len(digits)) + digits


def natural_key(name):
    """Natural order (step2 before step10), the same as compareNatural in common.ts: runs of
    ASCII digits by value and before text at the same place, text runs by code point, ties
    (a01 / a1) by the whole name. One string per name (chunk tuples cost 3x the time): a digit
    run becomes NUL, 2, its length (leading zeros dropped), its digits; the end NUL, 1, the whole
    name. No name holds a NUL, so a run sorts before text at the same place, a shorter number
    before a longer one, and a name that ends where another goes on sorts first."""
    return _DIGITS_RE.sub(_digit_run, name) + "\x00\x01" + name


_DIGITS_TO_0 = str.maketrans("123456789", "000000000")


def name_shapes(names):
    """Each name with its digits made 0 (see natural_sorted): one C pass over all the names (none
    holds a NUL), not a call per name."""
    return "\x00".join(names).translate(_DIGITS_TO_0).split("\x00")


def natural_sorted(names, reverse=False):
    """sorted(names, key=natural_key, reverse=reverse) without a key for every name: its
    per-digit-run callback was 3/4 of a big folder's natural sort. Names of one shape (the same
    text with digit runs of the same widths at the same places: f000001.dat ... f099999.dat) are
    in natural order when in code point order, so each shape is sorted plainly (in C) and the
    shapes are put in order by the natural keys of their first and last names; shapes whose
    ranges overlap (a01 / a1) are sorted together by key. Folders where most names have a shape
    of their own take the keyed sort."""
    if len(names) < 64:
        return sorted(names, key=natural_key, reverse=reverse)
    shapes = name_shapes(names)
    if len(set(shapes)) == 1:
        return sorted(names, reverse=reverse)
    groups = {}
    for shape, name in zip(shapes, names):
        g = groups.get(shape)
        if g is None:
            groups[shape] = [name]
        else:
            g.append(name)
    if len(groups) * 8 > len(names):
        return sorted(names, key=natural_key, reverse=reverse)
    spans = []
    for g in groups.values():
        g.sort()
        spans.append((natural_key(g[0]), natural_key(g[-1]), g))
    spans.sort(key=lambda s: s[0])
    out = []
    i = 0
    while i < len(spans):
        last = spans[i][1]
        j = i + 1
        while j < len(spans) and spans[j][0] < last:
            last = max(last, spans[j][1])
            j += 1
        if j == i + 1:
            out.extend(spans[i][2])
        else:
            out.extend(sorted((n for s in spans[i:j] for n in s[2]), key=natural_key))
        i = j
    if reverse:
        out.reverse()  # keys are unique (each ends with its name): the reverse of ascending
    return out


def sweep_list_cache(path=None, dir_mtime=None):
    """Drops expired listings, and those of `path` taken before its mtime changed: a big
    folder's names are tens of MB the agent must not keep (the watchdog sweeps every 0.5 s).
    True when it dropped the last one."""
    now = time.time()
    dropped = False
    with _LIST_CACHE_LOCK:
        for k, (mtime, when, rows) in list(_LIST_CACHE.items()):
            life = PREFIX_CACHE_S if isinstance(rows, Prefix) else LIST_CACHE_S
            if now - when >= life or (k[0] == path and mtime != dir_mtime):
                del _LIST_CACHE[k]
                dropped = True
        return dropped and not _LIST_CACHE


def release_memory():
    """Hands freed heap back to the OS (glibc keeps it otherwise: a 100,000-entry listing left
    the agent at 31 MiB RSS instead of 17). Best effort: other C libraries have no malloc_trim."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError, ImportError):
        pass


def cached_rows(cache_key, dir_mtime):
    sweep_list_cache(cache_key[0], dir_mtime)
    with _LIST_CACHE_LOCK:
        hit = _LIST_CACHE.get(cache_key)
    return hit[2] if hit is not None else None


def cache_rows(cache_key, dir_mtime, rows):
    """Keeps a sorted listing; the oldest go first beyond LIST_CACHE_MAX listings or
    LIST_CACHE_MAX_ROWS names in all (one listing is kept whatever its size)."""
    with _LIST_CACHE_LOCK:
        while _LIST_CACHE and (len(_LIST_CACHE) >= LIST_CACHE_MAX or
                               sum(len(v[2]) for v in _LIST_CACHE.values()) + len(rows) > LIST_CACHE_MAX_ROWS):
            _LIST_CACHE.pop(next(iter(_LIST_CACHE)))
        _LIST_CACHE[cache_key] = (dir_mtime, time.time(), rows)


def stat_entries(prefix, names):
    """entry_stat of each name, None for one gone since the scan."""
    out = []
    for name in names:
        try:
            out.append(entry_stat(prefix + name))
        except OSError:
            out.append(None)
    return out


def sort_rows(ctx, dirs, files, prefix, key, desc, natural):
    """Directories first, each group by key: names (natural or code point order), or modified
    time / size with ties by name A to Z whatever the direction. Folders stay in name order when
    sorting by size (their size says nothing). Returns (rows, the stats taken on the way)."""
    def by_name(names, reverse=False):
        names[:] = listing_order(names, reverse, natural)

    stats = {}
    if key == "name":
        by_name(dirs, desc)
        by_name(files, desc)
        return dirs + files, stats
    # Sizes and times as reported: a symlink's are its target's.
    i = 2 if key == "size" else 3
    wanted = files if key == "size" else dirs + files
    for part, got in in_two(ctx, lambda part: stat_entries(prefix, part), wanted, "reading the entries of %s" % prefix):
        stats.update(zip(part, got))
    by_name(dirs)
    by_name(files)
    by_key = lambda n: stats[n][i] if stats[n] else 0  # noqa: E731
    if key != "size":
        dirs.sort(key=by_key, reverse=desc)  # stable, reverse too: ties keep their name order
    files.sort(key=by_key, reverse=desc)
    return dirs + files, stats


def op_list(ctx, p, payload):
    """One folder: filtered, name query applied, directories first, sorted, paged. Sorted by
    name, only the page's entries are stat'ed. A big folder's sorted names are kept a few seconds
    (while the folder's mtime is unchanged): its next pages cost only their own stats, and a name
    query is answered from them without reading the folder again. `locate`: the page is the one
    holding that name (its position and the page's offset are in the answer)."""
    path = p["path"]
    flt_spec = p.get("filter")
    hidden = p.get("hidden", True)
    key = p.get("sort") or "name"
    desc = bool(p.get("descending"))
    natural = bool(p.get("natural"))
    query = p.get("name") or ""
    locate = p.get("locate")
    offset = max(0, int(p.get("offset") or 0))
    limit = p.get("limit")
    prefix = path if path.endswith("/") else path + "/"
    base_key = (path, bool(hidden), json.dumps(flt_spec, sort_keys=True), key, desc, natural)
    cache_key = base_key + (query,)
    dir_mtime = os.stat(path).st_mtime_ns
    rows, stats = cached_rows(cache_key, dir_mtime), {}
    total = position = located = None
    if isinstance(rows, Prefix):
        rows, total = (rows, rows.total) if locate is None and rows.covers(offset, limit) else (None, None)
    if rows is None and query:
        every = cached_rows(base_key + ("",), dir_mtime)
        if every is not None and not isinstance(every, Prefix):
            match = name_matcher(query)
            rows = [n for n in every if match(n)]
    if rows is None:
        match = name_matcher(query) if query else None
        timeout = float(p.get("filterTimeoutMs") or FILTER_TIMEOUT_S * 1000) / 1000.0
        read = lambda cuts: guarded_scan(ctx, path, flt_spec, hidden, timeout, match, cuts)  # noqa: E731
        order = lambda in_dirs: group_order(key, desc, natural, prefix, in_dirs, ctx)  # noqa: E731
        heads = lambda n: (Head(n, order(True)), Head(n, order(False)))  # noqa: E731
        cuts = in_dirs = None
        if limit is not None:
            if locate is None:
                cuts = heads(offset + int(limit) + STREAM_KEEP)
            else:
                in_dirs = os.path.isdir(prefix + locate)
                around, others = Around(locate, int(limit), order(in_dirs)), Head(int(limit), order(not in_dirs), tail=True)
                cuts = (around, others) if in_dirs else (others, around)
        dirs, files, counted = read(cuts)
        if counted is not None and locate is not None:
            located = (dirs if in_dirs else files).page(files if in_dirs else dirs, in_dirs, counted)
            if located is None:  # not in the listing: the page at `offset`, as for a small folder
                position = -1
                dirs, files, counted = read(heads(offset + int(limit) + STREAM_KEEP))
        ctx.check()
        if counted is None:
            rows, stats = sort_rows(ctx, dirs, files, prefix, key, desc, natural)
            if len(rows) > 2000:
                cache_rows(cache_key, dir_mtime, rows)
        else:
            # A streamed folder (see STREAM_AT): rows are what the page needs, only the first kept.
            if located is not None:
                rows, position, offset = located
            else:
                rows = streamed_prefix(dirs, files, counted)
                cache_rows(cache_key, dir_mtime, rows)
            total = counted[0] + counted[1]
    if locate is not None and position is None:
        try:
            position = rows.index(locate)
        except ValueError:
            position = -1
        if position >= 0:
            offset = position - position % int(limit) if limit else 0
    if located is not None:
        page = rows
    else:
        page = rows[offset:] if limit is None else rows[offset:offset + int(limit)]
    names, types, targets, sizes, mtimes, modes = page_columns(ctx, prefix, page, stats)
    out = {"total": len(rows) if total is None else total, "count": len(names), "types": types, "targets": targets, "offset": offset}
    if position is not None:
        out["position"] = position
    return out, list_payload(names, sizes, mtimes, modes)


# A page's columns, not objects: types one character per entry, targets {index: type} for
# symlinks only (JSON); sizes, mtimes (ms) and modes as arrays and the names as bytes (payload).
# Stat'ing is most of a big listing, so beyond PARALLEL_STAT_MIN names a forked worker stats the
# second half while the agent stats the first (the GIL would serialise threads).
PARALLEL_STAT_MIN = 20000
PARALLEL_STAT_TIMEOUT_S = 120.0


class EntryLstat(object):
    """lstat of a folder's entries by name, relative to the folder's descriptor (fstatat): the
    kernel walks one component per entry, not the whole path (lstat 14 % faster here, a stat
    pass 5 %), and the folder, or one on its path, swapped for a link during the pass is not
    followed. By path where the folder cannot be opened or dir_fd is not supported."""

    def __init__(self, prefix):
        self.prefix, self.fd = prefix, None

    def __enter__(self):
        if os.stat in os.supports_dir_fd:
            try:
                self.fd = os.open(self.prefix, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
                return functools.partial(os.lstat, dir_fd=self.fd)
            except OSError:
                self.fd = None
        prefix = self.prefix
        return lambda name: os.lstat(prefix + name)

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        return False


def stat_columns(prefix, names, stats):
    """(indices of names that vanished since the scan, types, targets, sizes, mtimes, modes)."""
    missing, types, targets = [], [], {}
    sizes, mtimes, modes = array.array("d"), array.array("d"), array.array("H")
    with EntryLstat(prefix) as lstat:
        for i, name in enumerate(names):
            s = stats.get(name) if stats else None
            if s is None:
                try:
                    st = lstat(name)
                except OSError:
                    missing.append(i)
                    continue
                fmt = stat.S_IFMT(st.st_mode)
                if fmt == stat.S_IFLNK:
                    try:
                        s = entry_stat(prefix + name)
                    except OSError:
                        missing.append(i)
                        continue
                else:
                    types.append(_TYPE_BY_FMT.get(fmt, "o"))
                    sizes.append(st.st_size)
                    mtimes.append(int(st.st_mtime * 1000))
                    modes.append(st.st_mode & 0o7777)
                    continue
            if s[1] is not None:
                targets[len(types)] = s[1]
            types.append(s[0])
            sizes.append(s[2])
            mtimes.append(s[3])
            modes.append(s[4])
    return missing, "".join(types), targets, sizes, mtimes, modes


def in_two(ctx, fn, items, what):
    """[(part, fn(part))] over items: beyond PARALLEL_STAT_MIN items (and with a ctx), a forked
    worker does the second half while this process does the first (the GIL would serialise
    threads); all here when no process is to spare or the worker dies."""
    half = len(items) // 2
    worker = None
    if len(items) >= PARALLEL_STAT_MIN and ctx is not None:
        try:
            worker = start_forked(ctx, lambda: fn(items[half:]), PARALLEL_STAT_TIMEOUT_S, what)
        except OSError:
            worker = None  # no process to spare (a limit on the login node)
    if worker is None:
        return [(items, fn(items))]
    first = fn(items[:half])
    try:
        second = worker()
    except AgentError as e:
        if e.code == "ECANCELED":
            raise
        second = fn(items[half:])  # the worker died: its half here
    return [(items[:half], first), (items[half:], second)]


def page_columns(ctx, prefix, page, stats):
    """(names, types, targets, sizes, mtimes, modes) of a page's entries that still exist."""
    parts = in_two(None if stats else ctx, lambda part: stat_columns(prefix, part, stats), page,
                   "reading the entries of %s" % prefix)
    names, types, targets = [], [], {}
    sizes, mtimes, modes = array.array("d"), array.array("d"), array.array("H")
    for part, (missing, t, tg, sz, mt, md) in parts:
        if missing:
            gone = set(missing)
            part = [n for i, n in enumerate(part) if i not in gone]
        for i, target in tg.items():
            targets[len(names) + i] = target
        names.extend(part)
        types.append(t)
        sizes.extend(sz)
        mtimes.extend(mt)
        modes.extend(md)
    return names, "".join(types), targets, sizes, mtimes, modes


def list_payload(names, sizes, mtimes, modes):
    """sizes and mtimes as float64, modes as uint16, all little-endian, then the names' bytes,
    each ended by a NUL (no name holds one); listColumns.ts reads it."""
    if sys.byteorder != "little":
        for column in (sizes, mtimes, modes):
            column.byteswap()
    encoded = "\0".join(names).encode("utf-8", "surrogateescape") + b"\0" if names else b""
    return Compressible(sizes.tobytes() + mtimes.tobytes() + modes.tobytes() + encoded)


def entry_stat(full):
    """(type, targetType or None, size, mtimeMs, mode) of a folder entry."""
    st = os.lstat(full)
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        s = stat_json(full, st)
        return (s["type"], s.get("targetType"), s["size"], s["mtimeMs"], s["mode"])
    return (_TYPE_BY_FMT.get(stat.S_IFMT(mode), "o"), None, st.st_size, int(st.st_mtime * 1000), mode & 0o7777)


def op_stat(ctx, p, payload):
    out = []
    for path in p["paths"]:
        try:
            out.append(stat_json(path))
        except OSError as e:
            if e.errno in (errno.ENOENT, errno.ENOTDIR):
                out.append(None)
            else:
                raise
    return {"stats": out}


def op_read(ctx, p, payload):
    offset = int(p.get("offset") or 0)
    length = p.get("length")
    f, _ = open_regular(p["path"])
    with f:
        if offset:
            f.seek(offset)
        # Read to EOF (the size stat'ed may be stale or 0, as in /proc), capped to one frame.
        cap = MAX_FRAME - 1
        left = cap + 1 if length is None else min(int(length), cap)
        chunks = []
        while left > 0:
            b = f.read(min(left, 1 << 22))
            if not b:
                break
            chunks.append(b)
            left -= len(b)
        if length is None and left <= 0:
            raise AgentError("file too large to read at once (over 2 GiB): %s" % p["path"], "EFBIG")
        data = b"".join(chunks)
    return {"length": len(data)}, data


def temp_name(path):
    return os.path.join(os.path.dirname(path), ".remote-hpc-%s.tmp" % os.urandom(8).hex())


def about_user_path(e, tmp, path):
    """An OSError of work on a save's temp file, told about the user's file: the temp name is an
    internal detail ("Permission denied: .remote-hpc-....tmp" reads as if another file failed)."""
    if tmp in (e.filename, e.filename2) or (e.filename is None and e.errno):
        return OSError(e.errno, e.strerror, path)  # no name: a write to the temp's fd (ENOSPC, EDQUOT)
    return e


_CLEANED = {}  # folder -> when its stale temps were last looked for
_CLEANED_LOCK = threading.Lock()


def clean_stale_temps(path):
    """Removes left-overs of interrupted saves in path's folder: only regular files with our exact
    temp name, owned by us, older than TEMP_STALE_S (in a shared, non-sticky folder, files of other
    users must survive). Each folder is looked at most every few minutes (it may be huge)."""
    d = os.path.dirname(path) or "."
    now = time.time()
    with _CLEANED_LOCK:
        if now - _CLEANED.get(d, 0) < TEMP_STALE_S / 6:
            return
        if len(_CLEANED) > 1000:
            _CLEANED.clear()
        _CLEANED[d] = now
    uid = os.getuid()
    try:
        with os.scandir(d) as it:
            for e in it:
                if TEMP_RE.match(e.name):
                    try:
                        st = e.stat(follow_symlinks=False)
                        if stat.S_ISREG(st.st_mode) and st.st_uid == uid and now - st.st_mtime > TEMP_STALE_S:
                            os.unlink(e.path)
                    except OSError:
                        pass
    except OSError:
        pass


def write_in_place(path, payload):
    """Overwrites a regular file's contents (new bytes first, then the length): owner, mode,
    ACLs and hard links stay; a cut midway leaves a mix of old and new bytes."""
    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise AgentError("not a regular file: %s" % path, "EINVAL")
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
        os.ftruncate(fd, len(payload))
        os.fsync(fd)
    finally:
        os.close(fd)


def op_write(ctx, p, payload):
    path = p["path"]
    create = p.get("create", True)
    overwrite = p.get("overwrite", True)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    if st is None and not create:
        raise AgentError("file does not exist: %s" % path, "ENOENT")
    if st is not None and not overwrite:
        raise AgentError("file exists: %s" % path, "EEXIST")
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise AgentError("is a directory: %s" % path, "EISDIR")
    if st is not None and not stat.S_ISREG(st.st_mode):
        # Saving over a FIFO, socket or device would replace another program's endpoint.
        raise AgentError("not a regular file (%s): %s" % (special_kind(st.st_mode), path), "EINVAL")
    if os.path.islink(path):
        path = os.path.realpath(path)  # replace the link's target, keep the link
    mode = stat.S_IMODE(st.st_mode) if st is not None else (0o666 & ~ctx.agent.umask)
    tmp = temp_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except PermissionError as e:
        # A writable file in a folder we may not write (shared project folders): no temp file
        # there, so write the file itself, as vim and Remote-SSH do; not atomic.
        if st is None or not os.access(path, os.W_OK):
            raise about_user_path(e, tmp, path) from None
        write_in_place(path, payload)
        return {"written": len(payload), "inPlace": True}
    except OSError as e:
        raise about_user_path(e, tmp, path) from None
    try:
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise about_user_path(e, tmp, path) from None
        raise
    clean_stale_temps(path)
    return {"written": len(payload)}


def op_mkdir(ctx, p, payload):
    if p.get("recursive"):
        os.makedirs(p["path"], exist_ok=True)
    else:
        os.mkdir(p["path"])
    return {}


def op_remove(ctx, p, payload):
    path = p["path"]
    st = os.lstat(path)
    if stat.S_ISDIR(st.st_mode):
        if p.get("recursive"):
            shutil.rmtree(path)
        else:
            os.rmdir(path)
    else:
        os.unlink(path)
    return {}


def exists(path):
    try:
        os.lstat(path)
        return True
    except FileNotFoundError:
        return False


def op_rename(ctx, p, payload):
    src, dst = p["from"], p["to"]
    if not p.get("overwrite") and exists(dst):
        raise AgentError("target exists: %s" % dst, "EEXIST")
    os.replace(src, dst)
    return {}


def copy_entry(src, dst):
    """copy2 for regular files and symlinks (as links); anything else (a FIFO would block, a
    device never end) is refused."""
    st = os.lstat(src)
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
        raise AgentError("not a regular file (%s): %s" % (special_kind(st.st_mode), src), "EINVAL")
    return shutil.copy2(src, dst, follow_symlinks=False)


def op_copy(ctx, p, payload):
    src, dst = p["from"], p["to"]
    src_st = os.lstat(src)
    if not (stat.S_ISREG(src_st.st_mode) or stat.S_ISLNK(src_st.st_mode) or stat.S_ISDIR(src_st.st_mode)):
        raise AgentError("not a regular file (%s): %s" % (special_kind(src_st.st_mode), src), "EINVAL")
    if exists(dst):
        if not p.get("overwrite"):
            raise AgentError("target exists: %s" % dst, "EEXIST")
        if os.path.isdir(dst) and not os.path.islink(dst):
            shutil.rmtree(dst)
        else:
            os.unlink(dst)
    if os.path.isdir(src) and not os.path.islink(src):
        shutil.copytree(src, dst, symlinks=True, copy_function=copy_entry)
    else:
        copy_entry(src, dst)
    return {}


def _glob_segments(pat):
    """A glob (fnmatch syntax: * ? [abc] [!a-z], no escapes) as the regexes of the parts between
    its stars. Each part matches a fixed number of characters, so matching a name is a few
    searches from left to right, never the backtracking fnmatch's translated regex can fall into
    (`*a*a*a*a*b` on a long name). The same as globSegments in src/core/remote/common.ts."""
    parts, cur, i, n = [], [], 0, len(pat)
    while i < n:
        c = pat[i]
        i += 1
        if c == "*":
            parts.append(cur)
            cur = []
        elif c == "?":
            cur.append(".")
        elif c == "[":
            j = i
            if j < n and pat[j] == "!":
                j += 1
            if j < n and pat[j] == "]":
                j += 1
            while j < n and pat[j] != "]":
                j += 1
            if j >= n:
                cur.append(re.escape(c))
                continue
            body, i = pat[i:j], j + 1
            neg = body.startswith("!")
            if neg:
                body = body[1:]
            ranges, k = [], 0
            while k < len(body):
                if k + 2 < len(body) and body[k + 1] == "-":
                    lo, hi = body[k], body[k + 2]
                    k += 3
                    if lo <= hi:  # an inverted range matches nothing
                        ranges.append(re.escape(lo) + "-" + re.escape(hi))
                else:
                    ranges.append(re.escape(body[k]))
                    k += 1
            if ranges:
                cur.append("[" + ("^" if neg else "") + "".join(ranges) + "]")
            else:
                cur.append("." if neg else "(?!)")
        else:
            cur.append(re.escape(c))
    parts.append(cur)
    return ["".join(x) for x in parts]


def name_matcher(pattern):
    """Names matching a user's pattern, ignoring case: a glob when it has * ? or [, else a
    substring. Anything goes: a name query is never a regular expression."""
    if not pattern:
        return lambda name: True
    pat = pattern.lower()
    if not any(c in pat for c in "*?["):
        return lambda name: pat in name.lower()
    segs = _glob_segments(pat)
    if len(segs) == 1:
        whole = re.compile("(?:%s)\\Z" % segs[0], re.S)
        return lambda name: whole.match(name.lower()) is not None
    first = re.compile(segs[0], re.S)
    middle = [re.compile(x, re.S) for x in segs[1:-1] if x]
    last = re.compile("(?:%s)\\Z" % segs[-1], re.S)

    def match(name):
        s = name.lower()
        m = first.match(s)
        if m is None:
            return False
        pos = m.end()
        for rx in middle:
            m = rx.search(s, pos)
            if m is None:
                return False
            pos = m.end()
        return last.search(s, pos) is not None
    return match


def op_search(ctx, p, payload):
    """The walk (names, filters, content regex: all user-supplied) runs in a worker process with
    a time limit, killed on cancel; see run_forked."""
    timeout = float(p.get("timeoutMs") or SEARCH_TIMEOUT_S * 1000) / 1000.0
    return run_forked(ctx, lambda: search_walk(ctx, p), timeout, "the search")


def search_walk(ctx, p):
    root = p["root"]
    match_name = name_matcher(p.get("name"))
    content = p.get("content")
    if content and not p.get("regex", True):
        content = re.escape(content)
    flags = 0 if p.get("caseSensitive") else re.IGNORECASE
    rx = re.compile(content, flags) if content else None
    cap = int(p.get("max") or 1000)
    # None (JSON null): no size limit ("search these too"); the time limit still holds.
    max_size = p.get("maxFileSize", SEARCH_MAX_FILE_SIZE)
    flt = Filter(p.get("filter"))
    matches = []
    skips = Skips()
    stack = [root]
    truncated = False
    while stack and not truncated:
        d = stack.pop()
        try:
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            if d == root:
                raise
            skips.add(d, skip_reason(e), folder=True)
            continue
        subdirs = []
        for e in entries:
            ctx.check()
            if is_temp(e.name):
                continue
            try:
                is_dir = e.is_dir(follow_symlinks=False)
            except OSError as err:
                skips.add(e.path, skip_reason(err))
                continue
            if not flt.keep(e.path, is_dir):
                continue
            if is_dir:
                subdirs.append(e.path)
                if rx is None and match_name(e.name):
                    matches.append({"path": e.path})
            elif rx is None:
                if match_name(e.name):
                    matches.append({"path": e.path})
            elif match_name(e.name):
                try:
                    if not e.is_file(follow_symlinks=False):
                        continue
                    size = e.stat(follow_symlinks=False).st_size
                except OSError as err:
                    skips.add(e.path, skip_reason(err))
                    continue
                if max_size is not None and size > max_size:
                    skips.add(e.path, "too-big", size=size)
                    continue
                grep_file(ctx, e.path, rx, matches, cap, skips)
            if len(matches) >= cap:
                truncated = True
                del matches[cap:]
                break
        stack.extend(reversed(subdirs))
    out = {"matches": matches, "truncated": truncated}
    out.update(skips.json())
    return out


class Skips(object):
    """Files and folders a search could not look into, by reason; the list is capped, the counts are not."""

    def __init__(self):
        self.items = []
        self.counts = {}

    def add(self, path, reason, size=None, folder=False):
        self.counts[reason] = self.counts.get(reason, 0) + 1
        if len(self.items) < SEARCH_MAX_SKIPPED:
            item = {"path": path, "reason": reason}
            if size is not None:
                item["size"] = size
            if folder:
                item["folder"] = True
            self.items.append(item)

    def json(self):
        return {"skipped": self.items, "skippedCounts": self.counts}


def skip_reason(e):
    return "denied" if getattr(e, "errno", None) in (errno.EACCES, errno.EPERM) else "unreadable"


def grep_file(ctx, path, rx, matches, cap, skips):
    try:
        f, _ = open_regular(path)
    except OSError as e:
        skips.add(path, skip_reason(e))
        return
    except AgentError:
        return  # a FIFO, socket or device: not a file to search
    try:
        with f:
            head = f.read(8192)
            if b"\0" in head:
                skips.add(path, "binary")
                return
            f.seek(0)
            for n, raw in enumerate(f, 1):
                if n % 4096 == 0:
                    ctx.check()
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if rx.search(line):
                    matches.append({"path": path, "line": n, "text": line[:400]})
                    if len(matches) >= cap:
                        return
    except OSError as e:
        skips.add(path, skip_reason(e))
        return


def entry_sig(st):
    is_dir = stat.S_ISDIR(st.st_mode)
    return (is_dir, st.st_ino, st.st_size, 0 if is_dir else st.st_mtime_ns)


class Watched(object):
    """One watched path: a file, or a folder and its direct children.

    Each tick costs one stat. The children are re-read when the folder's own stat changed (an
    entry came or went), else every 3 periods (a child's content changed), where the period is
    10 times what the last read took (at least the interval, at most WATCH_MAX_INTERVAL_S): a
    big folder is re-read rarely. A folder of more than WATCH_MAX_ENTRIES entries is not read at
    all any more: only its own stat is compared, and `huge` reports it once."""

    def __init__(self, path, interval, max_entries):
        self.path = path
        self.max_entries = max_entries
        self.interval = interval
        self.own = None  # (ino, mtime_ns, ctime_ns, is_dir, size) or None when missing
        self.children = {}
        self.huge = None
        self.period = interval
        self.last = 0.0
        self.refresh(self.own_stat())

    def own_stat(self):
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, stat.S_ISDIR(st.st_mode), st.st_size)

    def read_children(self):
        """{path: sig} of the direct children, or None past WATCH_MAX_ENTRIES (then counted only)."""
        out, count = {}, 0
        prefix = self.path if self.path.endswith("/") else self.path + "/"
        try:
            with os.scandir(self.path) as it:
                for e in it:
                    if is_temp(e.name):
                        continue
                    count += 1
                    if count > self.max_entries:
                        out = None
                        continue
                    if out is not None:
                        try:
                            out[prefix + e.name] = entry_sig(e.stat(follow_symlinks=False))
                        except OSError:
                            pass
        except OSError:
            pass
        return out, count

    def refresh(self, own):
        self.own = own
        self.last = time.time()
        if own is None or not own[3] or self.huge is not None:
            self.children = {}
            return
        t0 = self.last
        children, count = self.read_children()
        cost = time.time() - t0
        self.period = min(WATCH_MAX_INTERVAL_S, max(self.interval, 10 * cost))
        self.last = time.time()
        if children is None:
            self.huge = count
            self.children = {}
        else:
            self.children = children

    def poll(self, now):
        """Change events since the last poll (and a `huge` notice the first time)."""
        before_own, before = self.own, self.children
        own = self.own_stat()
        elapsed = now - self.last
        if own == before_own:
            if elapsed < 3 * self.period:
                return [], None
        elif own is not None and own[3] and elapsed < self.period:
            return [], None  # a folder is re-read (or reported, when huge) at most once per period
        was_huge = self.huge
        self.refresh(own)
        events = []
        if (before_own is None) != (own is None):
            events.append({"path": self.path, "kind": "created" if own is not None else "deleted"})
        elif own != before_own and (not own[3] or self.huge is not None):
            events.append({"path": self.path, "kind": "changed"})
        events.extend(diff(before, self.children))
        return events, (self.huge if was_huge is None and self.huge is not None else None)


def diff(before, after):
    events = []
    for path, sig in after.items():
        old = before.get(path)
        if old is None:
            events.append({"path": path, "kind": "created"})
        elif old != sig:
            events.append({"path": path, "kind": "changed"})
    for path in before:
        if path not in after:
            events.append({"path": path, "kind": "deleted"})
    return events


def op_watch(ctx, p, payload):
    interval = WATCH_INTERVAL_S
    max_entries = int(p.get("maxEntries") or WATCH_MAX_ENTRIES)
    watched = [Watched(x.rstrip("/") or "/", interval, max_entries) for x in p["paths"]]
    first = [{"path": w.path, "entries": w.huge} for w in watched if w.huge is not None]
    if first:
        ctx.emit({"events": [], "huge": first})

    def loop():
        while not ctx.cancelled.wait(interval):
            events, huge = [], []
            now = time.time()
            for w in watched:
                ev, h = w.poll(now)
                events.extend(ev)
                if h is not None:
                    huge.append({"path": w.path, "entries": h})
            if events or huge:
                ctx.emit({"events": events, "huge": huge} if huge else {"events": events})

    start_thread(loop)
    return Subscription()


def op_follow(ctx, p, payload):
    path = p["path"]
    offset = int(p.get("offset") or 0)
    interval = FOLLOW_INTERVAL_S

    def loop():
        pos, ino = offset, None
        while not ctx.cancelled.is_set():
            try:
                st = os.stat(path)
            except OSError:
                st = None
            if st is not None:
                if (ino is not None and st.st_ino != ino) or st.st_size < pos:
                    ctx.emit({"kind": "truncate"})
                    pos = 0
                ino = st.st_ino
                if not stat.S_ISREG(st.st_mode):
                    ctx.emit({"kind": "error", "message": "not a regular file (%s): %s" % (special_kind(st.st_mode), path)})
                    return
                if st.st_size > pos:
                    try:
                        f, _ = open_regular(path)
                        with f:
                            f.seek(pos)
                            left = st.st_size - pos
                            while left > 0 and not ctx.cancelled.is_set():
                                b = f.read(min(left, 1 << 20))
                                if not b:
                                    break
                                ctx.emit({"kind": "data", "offset": pos}, b)
                                pos += len(b)
                                left -= len(b)
                    except (OSError, AgentError) as e:
                        ctx.emit({"kind": "error", "message": error_json(e)["message"]})
            ctx.cancelled.wait(interval)

    start_thread(loop)
    return Subscription()


def op_unsubscribe(ctx, p, payload):
    with ctx.agent.lock:
        target = ctx.agent.contexts.get(int(p["id"]))
    if target is not None:
        target.cancel()
        ctx.agent.forget(target)
    return {"stopped": target is not None}


def op_run(ctx, p, payload):
    argv = p["argv"]
    if not argv:
        raise AgentError("empty argv")
    env = dict(os.environ)
    env.update(p.get("env") or {})
    timeout = p.get("timeoutMs")
    proc = subprocess.Popen(argv, cwd=p.get("cwd") or None, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    agent = ctx.agent
    agent.children.add(proc)
    ctx.on_cancel(lambda: kill_tree(proc))
    timed_out = False
    try:
        try:
            out, err = proc.communicate(payload, timeout=None if timeout is None else timeout / 1000.0)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_tree(proc)
            out, err = proc.communicate()
    finally:
        agent.children.discard(proc)
    if ctx.cancelled.is_set():
        raise AgentError("cancelled", "ECANCELED")
    code = proc.returncode
    result = {"code": code if code is not None and code >= 0 else None,
              "stdoutLength": len(out), "timedOut": timed_out}
    if code is not None and code < 0:
        result["signal"] = signal.Signals(-code).name[3:] if hasattr(signal, "Signals") else str(-code)
    return result, out + err


def start_thread(fn):
    t = threading.Thread(target=fn)
    t.daemon = True
    t.start()


HANDLERS = {
    "info": op_info,
    "home": op_home,
    "getenv": op_getenv,
    "list": op_list,
    "stat": op_stat,
    "read": op_read,
    "write": op_write,
    "mkdir": op_mkdir,
    "remove": op_remove,
    "rename": op_rename,
    "copy": op_copy,
    "search": op_search,
    "watch": op_watch,
    "follow": op_follow,
    "unsubscribe": op_unsubscribe,
    "run": op_run,
}


def own_hash():
    # Started by the bootstrap of src/core/agent/install.ts, which hashed the very bytes it runs.
    verified = globals().get("AGENT_SHA256")
    if verified:
        return verified
    try:
        with open(os.path.abspath(__file__), "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except (OSError, NameError):
        return "unknown"


def watchdog(ppid):
    """Ends the agent within a second once its parent (the SSH session) is gone, whatever the
    other threads are doing (a closed stdin ends it from serve()); drops expired listings and
    hands their memory back."""
    while True:
        time.sleep(0.5)
        if os.getppid() != ppid:
            os._exit(0)
        if _LIST_CACHE and sweep_list_cache():
            release_memory()


def main():
    os.environ.pop("PYTHONUTF8", None)  # set by the launcher for us, not for the commands we run
    warnings.simplefilter("ignore")  # e.g. 3.12's DeprecationWarning on fork with threads
    # Frames use private copies of stdin/stdout; fds 0 and 1 become /dev/null and stderr so that
    # nothing else (a stray print, a child process) can read or corrupt the stream.
    fd_in = os.dup(0)
    fd_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    channel = Channel(fd_in, fd_out)
    channel._write_all(("\n@@REMOTE-HPC-AGENT %d %s@@\n" % (PROTOCOL, own_hash())).encode("ascii"))
    agent = Agent(channel)
    start_thread(lambda: watchdog(os.getppid()))
    try:
        agent.serve()
    except OSError:
        pass
    except AgentError as e:
        sys.stderr.write("remote-hpc agent: %s\n" % e)
    finally:
        agent.shutdown()
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
