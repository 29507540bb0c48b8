#!/usr/bin/env python3
"""Peer benchmark for ImageIO: single-thread JPEG decode + resize with Pillow on hard1k.

Matches RealImageTests.testThroughput (Tests/ImageIOTests): every hard1k JPEG (300x300) is decoded
and resized to SxS RGB, best of 3 passes, one thread, timed in thread CPU time. Variants:
  full   Image.open -> convert("RGB") -> resize((S, S), Image.BOX)          (full-size decode)
  draft  as full, after im.draft("RGB", (2S, 2S)): DCT downscale keeping >= 2x the target,
         like ImagePipeline.load's default oversampling 2
Usage: python benchmarks/imageio_pillow_decode.py [--root ../shared/datasets/kagglehub/datasets]
Needs: pillow (a virtualenv outside the repo). Swift side:
  DEEPFAKE_IO_BENCH=1 swift test -c release --filter RealImageTests/testThroughput
"""
import argparse
import os
import time

from PIL import Image


def run(files, size, draft):
    best = 0.0
    for _ in range(3):
        t0 = time.thread_time()  # CPU time: the shared machine is often overloaded
        for f in files:
            im = Image.open(f)
            if draft:
                im.draft("RGB", (2 * size, 2 * size))
            im.convert("RGB").resize((size, size), Image.BOX).tobytes()
        best = max(best, len(files) / (time.thread_time() - t0))
    return best


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser()
    p.add_argument("--root", default=os.path.join(here, "..", "..", "shared", "datasets", "kagglehub", "datasets"))
    a = p.parse_args()
    d = os.path.join(a.root, "hamzaboulahia", "hardfakevsrealfaces", "versions", "1")
    files = sorted(os.path.join(d, c, f) for c in ("real", "fake") for f in os.listdir(os.path.join(d, c)) if f.endswith(".jpg"))
    for size in (64, 32):
        for draft in (False, True):
            print(f"Pillow {Image.__version__}: {len(files)} hard1k JPEGs -> {size}x{size}x3, "
                  f"{'draft (>= 2x target)' if draft else 'full decode'}: {run(files, size, draft):.0f} images per CPU-second (best of 3, 1 thread)")


if __name__ == "__main__":
    main()
