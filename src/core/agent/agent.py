#!/usr/bin/env python3
"""Remote HPC agent: file operations and commands for the VS Code extension, over stdin/stdout.

Standard library only, Python 3.6+. It is uploaded to ~/.cache/remote-hpc/agent-<hash>.py and
started over an SSH exec channel; it exits as soon as stdin closes, and leaves nothing running.

Wire format (after the handshake line; see src/core/agent/protocol.ts for the other side):
  header (16 bytes, big endian): magic b"RH", type u8, flags u8, id u32, json_len u32, bin_len u32
  then json_len bytes of UTF-8 JSON (zlib-compressed when flags & 1) and bin_len raw bytes
  (zlib-compressed when flags & 2). Types: 1 request, 2 response, 3 error, 4 event, 5 cancel.
Requests run on a thread pool, so many are in flight at once; a single lock serialises frames.
Subscriptions (watch, follow) answer at once and then push events carrying the request id.

Adding an operation: write `def op_name(ctx, params, payload)` returning a JSON-able result or
(result, bytes), and register it in HANDLERS. ctx.cancelled is a threading.Event; ctx.emit()
pushes an event; ctx.on_cancel(fn) registers a callback run when the request is cancelled.
"""
import errno
import fnmatch
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import struct
import subprocess
import sys
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

PROTOCOL = 1
MAGIC = b"RH"
HEADER = struct.Struct(">2sBBIII")
T_REQUEST, T_RESPONSE, T_ERROR, T_EVENT, T_CANCEL = 1, 2, 3, 4, 5
F_JSON_ZLIB, F_BIN_ZLIB = 1, 2
COMPRESS_MIN = 16 * 1024
# Operations that may take long get a thread of their own, so they never starve the pool.
LONG_OPS = frozenset(["run", "search", "copy", "remove"])
MAX_FRAME = 1 << 31
# Temp files of atomic writes: ".<name>.remote-hpc-<8 hex>.tmp"; hidden from listings.
TEMP_RE = re.compile(r"^\..+\.remote-hpc-[0-9a-f]{8}\.tmp$", re.S)
TEMP_STALE_S = 3600


class AgentError(Exception):
    def __init__(self, message, code="EINVAL"):
        Exception.__init__(self, message)
        self.code = code


# ---------------------------------------------------------------------------------------------
# Framing


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
        self.pool = ThreadPoolExecutor(max_workers=16)
        self.contexts = {}
        self.lock = threading.Lock()
        self.children = set()
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
                if msg.get("op") in LONG_OPS:
                    start_thread(lambda c=ctx, m=msg, b=payload: self.run_request(c, m, b))
                else:
                    self.pool.submit(self.run_request, ctx, msg, payload)

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


def kill_tree(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        try:
            proc.kill()
        except OSError:
            pass


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
_LIST_CACHE = {}  # (path, hidden, filter, sort, descending) -> (dir mtime_ns, when, rows, stats)
_LIST_CACHE_LOCK = threading.Lock()
LIST_CACHE_S = 5.0


def scan(path, flt, hidden):
    """(dirs, files) of a folder as [(name, DirEntry)], filtered; d_type tells folders apart."""
    prefix = path if path.endswith("/") else path + "/"
    check = not flt.empty
    keep = flt.keep
    temp = TEMP_RE.match
    dirs, files = [], []
    with os.scandir(path) as it:
        for e in it:
            name = e.name
            if name[0] == "." and (not hidden or temp(name)):
                continue
            try:
                is_dir = e.is_dir()  # follows symlinks: a link to a folder counts as a folder
            except OSError:
                is_dir = False
            if check and not keep(prefix + name, is_dir):
                continue
            (dirs if is_dir else files).append((name, e))
    return dirs, files


def op_list(ctx, p, payload):
    """One folder: filtered, directories first, sorted, paged. Sorted by name, only the page's
    entries are stat'ed. A big folder's sorted names are kept a few seconds (while the folder's
    mtime is unchanged) so that its next pages cost only their own stats."""
    path = p["path"]
    flt_spec = p.get("filter")
    hidden = p.get("hidden", True)
    key = p.get("sort") or "name"
    desc = bool(p.get("descending"))
    offset = max(0, int(p.get("offset") or 0))
    limit = p.get("limit")
    prefix = path if path.endswith("/") else path + "/"
    cache_key = (path, bool(hidden), json.dumps(flt_spec, sort_keys=True), key, desc)
    dir_mtime = os.stat(path).st_mtime_ns
    with _LIST_CACHE_LOCK:
        hit = _LIST_CACHE.get(cache_key)
    fresh = hit is not None and hit[0] == dir_mtime and time.time() - hit[1] < LIST_CACHE_S
    if fresh:
        rows, stats = hit[2], {}
    else:
        dirs, files = scan(path, Filter(flt_spec), hidden)
        ctx.check()
        stats = {}
        if key == "name":
            dirs.sort(key=lambda r: r[0], reverse=desc)
            files.sort(key=lambda r: r[0], reverse=desc)
        else:
            # Sizes and times as reported: a symlink's are its target's.
            i = 2 if key == "size" else 3
            for name, e in dirs + files:
                try:
                    stats[name] = entry_stat(prefix + name, e)
                except OSError:
                    stats[name] = None
            sort_key = lambda r: (stats[r[0]][i] if stats[r[0]] else 0, r[0])  # noqa: E731
            dirs.sort(key=sort_key, reverse=desc)
            files.sort(key=sort_key, reverse=desc)
        rows = dirs + files
        if len(rows) > 2000 and key == "name":
            with _LIST_CACHE_LOCK:
                if len(_LIST_CACHE) >= 4:
                    _LIST_CACHE.pop(next(iter(_LIST_CACHE)))
                _LIST_CACHE[cache_key] = (dir_mtime, time.time(), rows, stats)
    page = rows[offset:] if limit is None else rows[offset:offset + int(limit)]
    # Columns, not objects: a fraction of the JSON. types: one character per entry;
    # targets: {index: type} for symlinks only.
    names, types, targets, sizes, mtimes, modes = [], [], {}, [], [], []
    for name, e in page:
        s = stats.get(name)
        if s is None:
            try:
                s = entry_stat(prefix + name, e, fresh)
            except OSError:
                continue  # vanished since the scan
        if s[1] is not None:
            targets[len(names)] = s[1]
        names.append(name)
        types.append(s[0])
        sizes.append(s[2])
        mtimes.append(s[3])
        modes.append(s[4])
    return {"total": len(rows), "names": names, "types": "".join(types), "targets": targets,
            "sizes": sizes, "mtimes": mtimes, "modes": modes}


def entry_stat(full, entry, fresh=False):
    """(type, targetType or None, size, mtimeMs, mode) of a scandir entry. DirEntry caches its
    stat, so entries from the list cache (fresh=True) are stat'ed again."""
    st = os.lstat(full) if fresh else entry.stat(follow_symlinks=False)
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
    with open(p["path"], "rb") as f:
        if offset:
            f.seek(offset)
        if length is None:
            data = f.read()
        else:
            chunks, left = [], int(length)
            while left > 0:
                b = f.read(min(left, 1 << 22))
                if not b:
                    break
                chunks.append(b)
                left -= len(b)
            data = b"".join(chunks)
    return {"length": len(data)}, data


def temp_name(path):
    d, base = os.path.split(path)
    return os.path.join(d, ".%s.remote-hpc-%s.tmp" % (base, os.urandom(4).hex()))


def clean_stale_temps(path):
    d, base = os.path.split(path)
    prefix = ".%s.remote-hpc-" % base
    now = time.time()
    try:
        with os.scandir(d or ".") as it:
            for e in it:
                if e.name.startswith(prefix) and TEMP_RE.match(e.name):
                    try:
                        if now - e.stat(follow_symlinks=False).st_mtime > TEMP_STALE_S:
                            os.unlink(e.path)
                    except OSError:
                        pass
    except OSError:
        pass


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
    if os.path.islink(path):
        path = os.path.realpath(path)  # replace the link's target, keep the link
    mode = stat.S_IMODE(st.st_mode) if st is not None else (0o666 & ~ctx.agent.umask)
    tmp = temp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
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
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
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


def op_copy(ctx, p, payload):
    src, dst = p["from"], p["to"]
    if exists(dst):
        if not p.get("overwrite"):
            raise AgentError("target exists: %s" % dst, "EEXIST")
        if os.path.isdir(dst) and not os.path.islink(dst):
            shutil.rmtree(dst)
        else:
            os.unlink(dst)
    if os.path.isdir(src) and not os.path.islink(src):
        shutil.copytree(src, dst, symlinks=True)
    else:
        shutil.copy2(src, dst, follow_symlinks=False)
    return {}


def name_matcher(pattern):
    if not pattern:
        return lambda name: True
    pat = pattern.lower()
    if any(c in pat for c in "*?["):
        return lambda name: fnmatch.fnmatchcase(name.lower(), pat)
    return lambda name: pat in name.lower()


def op_search(ctx, p, payload):
    root = p["root"]
    match_name = name_matcher(p.get("name"))
    content = p.get("content")
    flags = 0 if p.get("caseSensitive") else re.IGNORECASE
    rx = re.compile(content, flags) if content else None
    cap = int(p.get("max") or 1000)
    max_size = int(p.get("maxFileSize") or 10 * 1024 * 1024)
    flt = Filter(p.get("filter"))
    matches = []
    stack = [root]
    truncated = False
    while stack and not truncated:
        d = stack.pop()
        try:
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for e in entries:
            ctx.check()
            if TEMP_RE.match(e.name):
                continue
            try:
                is_dir = e.is_dir(follow_symlinks=False)
            except OSError:
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
                    if not e.is_file(follow_symlinks=False) or e.stat().st_size > max_size:
                        continue
                except OSError:
                    continue
                grep_file(ctx, e.path, rx, matches, cap)
            if len(matches) >= cap:
                truncated = True
                del matches[cap:]
                break
        stack.extend(reversed(subdirs))
    return {"matches": matches, "truncated": truncated}


def grep_file(ctx, path, rx, matches, cap):
    try:
        with open(path, "rb") as f:
            head = f.read(8192)
            if b"\0" in head:
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
    except OSError:
        return


def snapshot(path):
    """{path: signature} for a file, or for a directory itself plus its direct children."""
    out = {}
    try:
        st = os.stat(path)
    except OSError:
        return out
    out[path] = (stat.S_ISDIR(st.st_mode), st.st_ino, st.st_size, st.st_mtime_ns if not stat.S_ISDIR(st.st_mode) else 0)
    if stat.S_ISDIR(st.st_mode):
        try:
            with os.scandir(path) as it:
                for e in it:
                    if TEMP_RE.match(e.name):
                        continue
                    try:
                        s = e.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    out[e.path] = (stat.S_ISDIR(s.st_mode), s.st_ino, s.st_size, s.st_mtime_ns)
        except OSError:
            pass
    return out


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
    paths = [x.rstrip("/") or "/" for x in p["paths"]]
    interval = float(p.get("interval") or 1.0)
    state = dict((x, snapshot(x)) for x in paths)

    def loop():
        while not ctx.cancelled.wait(interval):
            events = []
            for x in paths:
                now = snapshot(x)
                events.extend(diff(state[x], now))
                state[x] = now
            if events:
                ctx.emit({"events": events})

    start_thread(loop)
    return Subscription()


def op_follow(ctx, p, payload):
    path = p["path"]
    offset = int(p.get("offset") or 0)
    interval = float(p.get("interval") or 0.2)

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
                if st.st_size > pos:
                    try:
                        with open(path, "rb") as f:
                            f.seek(pos)
                            left = st.st_size - pos
                            while left > 0 and not ctx.cancelled.is_set():
                                b = f.read(min(left, 1 << 20))
                                if not b:
                                    break
                                ctx.emit({"kind": "data", "offset": pos}, b)
                                pos += len(b)
                                left -= len(b)
                    except OSError as e:
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
    "unwatch": op_unsubscribe,
    "unfollow": op_unsubscribe,
    "unsubscribe": op_unsubscribe,
    "run": op_run,
}


def own_hash():
    try:
        with open(os.path.abspath(__file__), "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except (OSError, NameError):
        return "unknown"


def main():
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
