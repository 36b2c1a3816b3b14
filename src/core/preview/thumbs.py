"""Remote HPC thumbnailer: shrinks (or converts) images on the remote host, in parallel.

Run as `python3 -c <this source>` through RemoteOps.run, so it works over the agent and over the
plain SFTP+exec fallback alike, and never ties up the agent. Standard library + Pillow when it
imports, else ImageMagick `convert` when it is on PATH, else every item answers "unsupported"
(the client then fetches small originals itself). Python 3.6+.

stdin: JSON {"paths": [...], "max": 256, "format": "auto"|"jpeg"|"png", "quality": 82,
             "workers": 4, "tools": ["pil", "magick"]}
       max = 0 converts at full size (e.g. TIFF -> PNG for a browser).
stdout: records, each a 4-byte big-endian length, that many bytes of UTF-8 JSON, then the
        JSON's "len" bytes of image data (0 when absent). First record: {"hello": 1, "tool": ...}.
        Then one per path, in completion order: {"i", "ok": true, "fmt", "w", "h", "ow", "oh", "len"}
        or {"i", "ok": false, "error", "unsupported"}.
"""
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed

try:
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = 1024 * 1024 * 1024  # HPC images are big; 1 Gpixel is the cap
    HAVE_PIL = True
except Exception:  # ImportError, or a broken install
    HAVE_PIL = False

CONVERT = shutil.which("convert") or shutil.which("magick")
IDENTIFY = shutil.which("identify")
OUT = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else sys.stdout
LOCK = threading.Lock()


class Unsupported(Exception):
    pass


def emit(header, data=b""):
    header["len"] = len(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    with LOCK:
        OUT.write(struct.pack(">I", len(raw)))
        OUT.write(raw)
        if data:
            OUT.write(data)
        OUT.flush()


def to_8bit(im):
    """Scientific images (16-bit, 32-bit int or float) stretched to 0..255 grey."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        f = im.convert("F")
        lo, hi = f.getextrema()
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        return f.point(lambda v: (v - lo) * scale).convert("L")
    return im


def has_alpha(im):
    return im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)


def pil_one(path, max_size, fmt, quality):
    with Image.open(path) as im:
        ow, oh = im.size
        if max_size and im.format == "JPEG":
            im.draft("RGB", (max_size, max_size))  # decode at 1/2, 1/4, 1/8 scale: much faster
        try:
            if im.getexif().get(0x0112, 1) in (5, 6, 7, 8):
                ow, oh = oh, ow  # shown rotated by a quarter turn
            im = ImageOps.exif_transpose(im)
        except Exception:
            pass
        im = to_8bit(im)
        if max_size:
            try:
                im.thumbnail((max_size, max_size), Image.LANCZOS, reducing_gap=3.0)
            except TypeError:  # Pillow < 7
                im.thumbnail((max_size, max_size), Image.LANCZOS)
        alpha = has_alpha(im)
        out_fmt = fmt if fmt in ("jpeg", "png") else ("png" if alpha or not max_size else "jpeg")
        if out_fmt == "jpeg":
            if alpha:
                bg = Image.new("RGB", im.size, (255, 255, 255))
                bg.paste(im.convert("RGBA"), mask=im.convert("RGBA").split()[-1])
                im = bg
            elif im.mode not in ("RGB", "L"):
                im = im.convert("RGB")
        elif im.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            im = im.convert("RGBA" if alpha else "RGB")
        buf = io.BytesIO()
        if out_fmt == "jpeg":
            im.save(buf, "JPEG", quality=quality, optimize=False)
        else:
            im.save(buf, "PNG", compress_level=3 if max_size else 6)
        w, h = im.size
        return {"fmt": out_fmt, "w": w, "h": h, "ow": ow, "oh": oh}, buf.getvalue()


def magick_src(path):
    """The file goes in on stdin: ImageMagick reads %d, [..] and prefix: in file names as syntax."""
    ext = os.path.splitext(path)[1][1:].lower()
    ext = {"jpg": "jpeg", "tif": "tiff"}.get(ext, ext)
    return (ext + ":-[0]") if ext.isalnum() else "-[0]"  # first frame / page only


def magick_one(path, max_size, fmt, quality):
    src = magick_src(path)
    ow = oh = None
    if IDENTIFY:
        with open(path, "rb") as f:
            r = subprocess.run([IDENTIFY, "-ping", "-format", "%w %h", src], stdin=f, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        parts = r.stdout.decode("ascii", "replace").split()
        if r.returncode == 0 and len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            ow, oh = int(parts[0]), int(parts[1])
    lower = path.lower()
    out_fmt = fmt if fmt in ("jpeg", "png") else ("jpeg" if max_size and lower.endswith((".jpg", ".jpeg")) else "png")
    argv = [CONVERT, src, "-auto-orient"]
    if max_size:
        argv += ["-thumbnail", "%dx%d>" % (max_size, max_size)]
    if out_fmt == "jpeg":
        argv += ["-background", "white", "-flatten", "-quality", str(quality), "jpeg:-"]
    else:
        argv += ["-depth", "8", "png:-"]
    with open(path, "rb") as f:
        r = subprocess.run(argv, stdin=f, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0 or not r.stdout:
        raise Exception((r.stderr.decode("utf-8", "replace").strip() or "convert failed").splitlines()[0])
    meta = {"fmt": out_fmt}
    if ow is not None:
        meta["ow"], meta["oh"] = ow, oh
    return meta, r.stdout


def one(i, path, req, tools):
    max_size = int(req.get("max") or 0)
    fmt = req.get("format") or "auto"
    quality = int(req.get("quality") or 82)
    errors = []
    if not os.path.isfile(path):
        return {"i": i, "ok": False, "error": "No such file"}, b""
    for tool in tools:
        try:
            if tool == "pil":
                meta, data = pil_one(path, max_size, fmt, quality)
            else:
                meta, data = magick_one(path, max_size, fmt, quality)
            meta.update({"i": i, "ok": True, "tool": tool})
            return meta, data
        except MemoryError:
            errors.append("out of memory")
        except Exception as e:  # keep going: the next tool may read this format
            errors.append(str(e).splitlines()[0] if str(e) else type(e).__name__)
    if not tools:
        return {"i": i, "ok": False, "error": "Neither Pillow nor ImageMagick is available", "unsupported": True}, b""
    return {"i": i, "ok": False, "error": "; ".join(errors)[:500], "unsupported": True}, b""


def main():
    req = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    try:
        os.nice(max(0, min(19, int(req.get("nice") or 0))))
    except (OSError, ValueError, AttributeError):
        pass  # best effort: an unniced thumbnail beats none
    wanted = req.get("tools")
    if wanted is None:
        wanted = ["pil", "magick"]
    tools = [t for t in wanted if (t == "pil" and HAVE_PIL) or (t == "magick" and CONVERT)]
    emit({"hello": 1, "tool": tools[0] if tools else None, "nice": os.nice(0)})
    paths = req.get("paths") or []
    workers = max(1, min(int(req.get("workers") or 4), 16, len(paths) or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = dict((pool.submit(one, i, p, req, tools), i) for i, p in enumerate(paths))
        for f in as_completed(futures):
            try:
                header, data = f.result()
            except Exception as e:
                header, data = {"i": futures[f], "ok": False, "error": str(e) or type(e).__name__}, b""
            emit(header, data)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        pass
