// Threads: how many worker threads a kernel may use, handed in as a value at construction
// (a layer, an executor, a data loader holds one) instead of a process-wide switch, so two
// models, two in-process ranks or two tests with different thread counts never disturb each other.

import Dispatch

public struct Threads: Sendable, Equatable, CustomStringConvertible {
    /// Worker threads, >= 1.
    public let count: Int

    public init(_ count: Int) { self.count = Swift.max(1, count) }

    /// One thread: everything runs inline on the caller's thread.
    public static let serial = Threads(1)

    public var description: String { "\(count) thread\(count == 1 ? "" : "s")" }

    /// Runs `body(chunkStart, chunkEnd)` over `0..<n` split into at most `count` contiguous
    /// chunks of at least `minPerChunk` items. Runs inline when one chunk is enough.
    public func forChunks(_ n: Int, minPerChunk: Int = 1, _ body: (Int, Int) -> Void) {
        let workers = Swift.max(1, Swift.min(count, n / Swift.max(minPerChunk, 1)))
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
    public func forEach(_ n: Int, _ body: (Int) -> Void) {
        forChunks(n) { lo, hi in for i in lo..<hi { body(i) } }
    }
}
