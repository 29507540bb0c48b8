// Parallel loops over a fixed number of worker threads (`nCPUs`).

import Dispatch

public enum Parallel {
    /// Threads used by our own kernels; set once from the config's `nCPUs`.
    nonisolated(unsafe) public static var threads: Int = 1

    /// Runs `body(chunkStart, chunkEnd)` over `0..<n` split into at most `threads` contiguous
    /// chunks. Runs inline when one chunk is enough (`n < minPerChunk * 2`).
    public static func forChunks(_ n: Int, minPerChunk: Int = 1, _ body: (Int, Int) -> Void) {
        let workers = Swift.max(1, Swift.min(threads, n / Swift.max(minPerChunk, 1)))
        if workers <= 1 || n <= 1 {
            if n > 0 { body(0, n) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let lo = n * w / workers, hi = n * (w + 1) / workers
                if hi > lo { body(lo, hi) }
            }
        }
    }

    /// Runs `body(i)` for every i in 0..<n across the worker threads.
    public static func forEach(_ n: Int, _ body: (Int) -> Void) {
        forChunks(n) { lo, hi in for i in lo..<hi { body(i) } }
    }
}
