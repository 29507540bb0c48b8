#!/usr/bin/env python3
"""Peer benchmark for DataPreparer: the same preprocessing with Pillow + h5py.

Work per run, matching Sources/Datasets/DataPreparer.swift: list the .jpg/.jpeg/.png files of
each dataset's real and fake class folders, decode each with Pillow, convert to RGB (or L for
--channels 1), area-resize to HxW with Image.resize(..., Image.BOX), stack into uint8 NHWC blocks
of 512 images decoded by a pool of --processes worker processes (which decode ahead while the
main process writes, like the Swift writer thread), and write them to ONE HDF5 file
with h5py: `images` uint8 [N,H,W,C] appendable, chunks of --chunk-rows images, shuffle + gzip
level --compression; `labels` int32 (fake 1), `paths`/`datasets` strings, `splits` int32 (0).
The Swift side writes the same HDF5 layout and filters, but deflates its chunks itself on the
decode threads with zlib's run-length strategy (DeflateStrategy.runLength: about 1.055x smaller
instead of level 1's 1.166x on hard1k at 64 px, for less than half the CPU); h5py has no such
option, so this script keeps HDF5's own gzip filter.

--draft lets Pillow's JPEG decoder downscale by 1/2, 1/4, 1/8 in the DCT (Image.draft), the same
trick the Swift ImageIO pipeline uses; without it Pillow decodes at full size.

Usage (times the whole run; the median of --repeats runs, as `bench`):
  python benchmarks/preprocess_pillow.py --root ../shared/datasets/kagglehub/datasets \
      --dataset hard1k=hamzaboulahia/hardfakevsrealfaces/versions/1 \
      --dataset deepfake2k=ciplab/real-and-fake-face-detection/versions/1/real_and_fake_face \
      --size 64 --processes 2
Needs: pillow, h5py, numpy (a virtualenv outside the repo).
"""
import argparse
import os
import re
import resource
import tempfile
import time
from multiprocessing import Pool

import h5py
import numpy as np
from PIL import Image

EXTS = (".jpg", ".jpeg", ".png")


def class_of(name):
    tokens = set(t for t in re.split(r"[^0-9a-z]+", name.lower()) if t)
    if "real" in tokens and "fake" not in tokens:
        return 0
    if "fake" in tokens and "real" not in tokens:
        return 1
    return None


def list_images(folder):
    """(path, label) for the class folders directly under `folder`, files sorted, real first."""
    out = []
    subs = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))
    for label in (0, 1):
        for d in subs:
            if class_of(d) != label:
                continue
            for dirpath, _, files in os.walk(os.path.join(folder, d)):
                for f in files:
                    if f.lower().endswith(EXTS):
                        out.append((os.path.join(dirpath, f), label))
    return sorted(out, key=lambda x: (x[1], x[0]))


ARGS = None
ARGS_DRAFT = False


def init_all(args, draft):
    global ARGS, ARGS_DRAFT
    ARGS, ARGS_DRAFT = args, draft


def load(path):
    """HxWxC uint8 array of one file, or None when Pillow cannot read it."""
    h, w, c = ARGS
    size, mode, draft = (w, h), ("RGB" if c == 3 else "L"), ARGS_DRAFT
    try:
        with Image.open(path) as im:
            if draft and im.format == "JPEG":
                im.draft(mode, size)
            im = im.convert(mode).resize(size, Image.BOX)
            return np.asarray(im, dtype=np.uint8).reshape(h, w, c)
    except Exception:
        return None



def run(items, out, size, channels, processes, chunk_rows, compression, draft, block=512):
    h = w = size
    with h5py.File(out, "w") as f, Pool(processes, initializer=init_all, initargs=((h, w, channels), draft)) as pool:
        images = f.create_dataset("images", shape=(0, h, w, channels), maxshape=(None, h, w, channels), dtype=np.uint8,
                                  chunks=(chunk_rows, h, w, channels), shuffle=True,
                                  compression="gzip" if compression is not None else None, compression_opts=compression)
        labels, paths, names, n = [], [], [], 0
        # imap keeps the workers decoding ahead while this process compresses and writes a block,
        # the same overlap as the Swift writer thread.
        results = pool.imap(load, [p for p, _, _ in items], chunksize=16)
        for start in range(0, len(items), block):
            part = items[start:start + block]
            good = [(a, it) for a, it in ((next(results), it) for it in part) if a is not None]
            if good:
                images.resize(n + len(good), axis=0)
                images[n:n + len(good)] = np.stack([a for a, _ in good])
                n += len(good)
                labels += [it[1] for _, it in good]
                paths += [it[0] for _, it in good]
                names += [it[2] for _, it in good]
        pool.close()
        pool.join()
        f.create_dataset("labels", data=np.asarray(labels, dtype=np.int32))
        f.create_dataset("splits", data=np.zeros(len(labels), dtype=np.int32))
        f.create_dataset("paths", data=paths, dtype=h5py.string_dtype())
        f.create_dataset("datasets", data=names, dtype=h5py.string_dtype())
    return n


def cpu_seconds():
    """User + system CPU of this process and its reaped children (the pool workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", required=True, help="folder the --dataset paths are relative to")
    ap.add_argument("--dataset", action="append", required=True, help="name=relative/folder holding the class folders")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--channels", type=int, default=3, choices=(1, 3))
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--chunk-rows", type=int, default=64)
    ap.add_argument("--compression", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--draft", action="store_true", help="allow JPEG DCT downscaling (Image.draft)")
    a = ap.parse_args()
    items = []
    for spec in sorted(a.dataset):
        name, rel = spec.split("=", 1)
        items += [(p, label, name) for p, label in list_images(os.path.join(a.root, rel))]
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(max(1, a.repeats)):
            out = os.path.join(tmp, "cache.h5")
            c0, t0 = cpu_seconds(), time.perf_counter()
            n = run(items, out, a.size, a.channels, a.processes, a.chunk_rows, a.compression, a.draft)
            runs.append((time.perf_counter() - t0, cpu_seconds() - c0))
            size_mb = os.path.getsize(out) / 1e6
    runs.sort()
    best, best_cpu = runs[len(runs) // 2]  # the median run (wall time and its CPU time)
    names = "+".join(sorted(s.split("=", 1)[0] for s in a.dataset))
    print(f"pillow{' (draft)' if a.draft else ''} {names} {a.size}x{a.size}x{a.channels} processes={a.processes}: "
          f"{n} images in {best:.2f} s = {n / best:.0f} images/s, {best_cpu * 1000 / max(n, 1):.3f} CPU ms/image "
          f"(cache {size_mb:.1f} MB; median of {len(runs)}, {runs[0][0]:.2f}-{runs[-1][0]:.2f} s)")


if __name__ == "__main__":
    main()
