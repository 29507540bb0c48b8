#!/usr/bin/env python3
"""Groups a `perf report` symbol table into the parts of a Classic training step.

    perf record -e cpu-clock -F 499 -o step.data -- .build/release/bench classic --sizes 64 --steps 3 --repeats 1 --threads 2
    perf report -i step.data --no-children --sort symbol --stdio | python3 benchmarks/perf_categories.py

cpu-clock samples count CPU time of our process (all its threads, kernel included), so the shares
are not skewed by other load on the machine the way wall time is; hardware counters are not
available in this VM. The warm-up step and model construction are included (a few percent:
`init`), which is why the timed steps should be several.
"""
import re
import sys

# First match wins: (category, regex over the demangled-or-mangled symbol name).
CATEGORIES = [
    ("GEMM (OpenBLAS kernels + packing)", r"sgemm_|sgemv_|saxpy|sdot"),
    ("OpenBLAS/worker waits (sched_yield, scheduler)", r"sched_yield|__schedule|\bschedule\b|finish_task_switch|do_syscall_64|"
                                                       r"_raw_spin|futex|pick_next|dequeue|enqueue|update_curr|__x64_sys"),
    ("im2col (forward, backward dY columns)", r"im2colKernel"),
    ("col2im", r"col2im"),
    ("Winograd transforms (input, output, weights and their adjoints)", r"Winograd|winograd"),
    ("conv scatter/gather (NCHW <-> GEMM layout, bias)", r"Conv2d.*(forward|backward)|FoldedConv"),
    ("BatchNorm (+ fused ReLU)", r"BatchNorm"),
    ("ReLU / residual add (BasicBlock)", r"BasicBlock|ReLU"),
    ("pooling", r"MaxPool|GlobalAvgPool"),
    ("Adam", r"Adam"),
    ("memset / memcpy (buffer copies, zeroing)", r"memset|memmove|memcpy"),
    ("page faults (first touch of new buffers)", r"page_fault|clear_page|do_anonymous_page|alloc_.*pages|memcg|rmqueue|"
                                                  r"__handle_mm_fault|handle_mm_fault|unmap_page|free_pages|zap_|lru"),
    ("init (weights, random batch)", r"resetParameters|SeededRNG|__sin|__cos|__ieee754_log|WeightInit"),
    ("loss, linear, other", r"."),
]


def main():
    totals = {c: 0.0 for c, _ in CATEGORIES}
    for line in sys.stdin:
        m = re.match(r"\s*([0-9.]+)%\s+\[[.k]\]\s+(\S+)", line)
        if not m:
            continue
        pct, sym = float(m.group(1)), m.group(2)
        for c, rx in CATEGORIES:
            if re.search(rx, sym):
                totals[c] += pct
                break
    print("| part of the step | share of CPU samples |")
    print("| --- | ---: |")
    for c, _ in CATEGORIES:
        print(f"| {c} | {totals[c]:.1f}% |")


if __name__ == "__main__":
    main()
