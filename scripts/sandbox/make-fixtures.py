#!/usr/bin/python3
"""Create test fixtures in a home directory (run as the sandbox user).

  ~/fixtures/hostile/   files with shell-hostile / non-ASCII names
  ~/fixtures/images/    12 generated PNG/JPEG images of different sizes
  ~/fixtures/tree/      nested directories, files and symlinks
  ~/fixtures/manifest.json   what was generated (names -> contents / sizes)
  ~/fixtures/.complete  marker: fixtures are generated only when it is missing

Usage: make-fixtures.py HOME_DIR
"""
import json
import os
import shutil
import sys

VERSION = 1

# name -> content (content is always small ASCII text ending in "\n")
HOSTILE = [
    "with space.txt",
    "single'quote.txt",
    'double"quote.txt',
    "$(touch pwned).txt",
    "`touch pwned2`.txt",
    "star*.txt",
    "new\nline.txt",
    "-leading-dash.txt",
    "--help",
    "données ünïcødé 数据.txt",
    "semi;colon & amp | pipe > gt.txt",
    "back\\slash.txt",
    "tab\there.txt",
    "$HOME and ${PATH}.txt",
    "percent %s %n.txt",
    "#hash ~tilde !bang.txt",
    "trailing space .txt",
    " leading space.txt",
    "emoji 🚀.txt",
    "a" * 200 + ".txt",
]
HOSTILE_DIRS = {
    "dir with space": ["inner file.txt"],
    "dir'quote\"both": ["x.txt"],
    "$(touch pwned-dir)": ["y.txt"],
}

IMAGES = [
    # (name, width, height)
    ("frame_00.png", 640, 480),
    ("frame_01.png", 640, 480),
    ("frame_02.png", 640, 480),
    ("frame_03.png", 640, 480),
    ("frame_04.jpg", 640, 480),
    ("frame_05.jpg", 640, 480),
    ("small_06.png", 64, 64),
    ("thumb_07.jpg", 160, 120),
    ("wide_08.png", 1920, 1080),
    ("tall_09.png", 300, 1200),
    ("large_10.jpg", 2560, 1440),
    ("odd size 11.png", 333, 217),
]


def content_for(name: str) -> str:
    return "hostile fixture: " + json.dumps(name, ensure_ascii=True) + "\n"


def write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def make_hostile(base: str) -> dict:
    d = os.path.join(base, "hostile")
    os.makedirs(d)
    files = {}
    for name in HOSTILE:
        write(os.path.join(d, name), content_for(name))
        files[name] = content_for(name)
    for dname, inner in HOSTILE_DIRS.items():
        os.makedirs(os.path.join(d, dname))
        for n in inner:
            rel = dname + "/" + n
            write(os.path.join(d, dname, n), content_for(rel))
            files[rel] = content_for(rel)
    return files


def make_images(base: str) -> dict:
    from PIL import Image, ImageDraw, ImageFont

    d = os.path.join(base, "images")
    os.makedirs(d)
    out = {}
    font_path = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
    for i, (name, w, h) in enumerate(IMAGES):
        # colourful diagonal gradient, different per frame
        gx = Image.linear_gradient("L").rotate(90).resize((w, h))
        gy = Image.linear_gradient("L").resize((w, h))
        flat = Image.new("L", (w, h), (i * 21) % 256)
        img = Image.merge("RGB", (gx, gy, flat))
        draw = ImageDraw.Draw(img)
        label = f"#{i} {w}x{h}"
        size = max(10, min(w, h) // 6)
        try:
            font = ImageFont.truetype(font_path, size)
        except OSError:
            font = ImageFont.load_default()
        draw.rectangle([0, 0, w - 1, h - 1], outline=(255, 255, 255), width=max(1, size // 10))
        draw.text((max(2, w // 20), max(2, h // 2 - size // 2)), label, fill=(255, 255, 255), font=font)
        path = os.path.join(d, name)
        if name.endswith(".jpg"):
            img.save(path, "JPEG", quality=85)
        else:
            img.save(path, "PNG")
        out[name] = {"width": w, "height": h, "bytes": os.path.getsize(path)}
    return out


def make_tree(base: str) -> list:
    d = os.path.join(base, "tree")
    entries = {
        "README.md": "# fixture tree\n",
        "src/main.py": "print('hello from the sandbox')\n",
        "src/util/helpers.py": "def add(a, b):\n    return a + b\n",
        "src/util/__init__.py": "",
        "data/numbers.csv": "a,b,c\n1,2,3\n4,5,6\n",
        "data/notes.txt": "line 1\nline 2\nline 3\n",
        "data/big.log": "".join(f"log line {n:05d}\n" for n in range(5000)),
        "a/b/c/d/e/deep.txt": "deep file\n",
        "jobs/hello.sbatch": "#!/bin/bash\n#SBATCH --job-name=hello\n#SBATCH --output=hello-%j.out\n"
        "echo hello from $(hostname)\n",
        ".hidden/secret.txt": "hidden file\n",
    }
    for rel, text in entries.items():
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        write(p, text)
    os.makedirs(os.path.join(d, "empty-dir"))
    os.symlink("src/main.py", os.path.join(d, "link-to-file"))
    os.symlink("a/b", os.path.join(d, "link-to-dir"))
    with open(os.path.join(d, "data", "binary.bin"), "wb") as f:
        f.write(bytes(range(256)) * 16)
    return sorted(entries) + ["data/binary.bin", "empty-dir/", "link-to-file@", "link-to-dir@"]


def main() -> None:
    home = sys.argv[1]
    base = os.path.join(home, "fixtures")
    marker = os.path.join(base, ".complete")
    if os.path.exists(marker):
        try:
            with open(marker) as f:
                if f.read().strip() == str(VERSION):
                    return
        except OSError:
            pass
    if os.path.lexists(base):
        shutil.rmtree(base)
    os.makedirs(base)
    manifest = {
        "version": VERSION,
        "hostile": make_hostile(base),
        "images": make_images(base),
        "tree": make_tree(base),
    }
    with open(os.path.join(base, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    write(marker, f"{VERSION}\n")


if __name__ == "__main__":
    main()
