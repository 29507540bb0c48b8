// Progress for batch logs: whole lines (no carriage returns, no bars), at most one every
// `interval` seconds or every 10 %, whichever comes first, with bytes, rate and ETA.

import Foundation
import Core

final class ProgressLine {
    private let log: RunLog
    private let label: String
    private let interval: Double
    private let total: Int64?
    private let start: Int64
    private let t0 = WallClock.now()
    private var lastTime = WallClock.now()
    private var lastDecile: Int64 = -1
    private var lastPrinted: Int64 = -1
    private let lock = NSLock()

    /// - Parameters:
    ///   - total: expected final size in bytes (nil when the server did not say).
    ///   - start: bytes already on disk before this transfer (resume); the rate counts only new bytes.
    init(log: RunLog, label: String, total: Int64?, start: Int64, interval: Double) {
        self.log = log; self.label = label; self.total = total; self.start = start; self.interval = interval
        if let t = total, t > 0 { lastDecile = start * 10 / t }
    }

    /// Reports `done` bytes so far (including the resumed prefix) when a line is due.
    func update(_ done: Int64, force: Bool = false) {
        lock.lock(); defer { lock.unlock() }
        let now = WallClock.now()
        var due = force || now - lastTime >= interval
        if let t = total, t > 0 {
            let decile = done * 10 / t
            if decile > lastDecile { lastDecile = decile; due = true }
        }
        guard due, done != lastPrinted else { return }   // the final forced line may repeat the 100 % one
        lastTime = now
        lastPrinted = done
        log.info(line(done, now: now))
    }

    func line(_ done: Int64, now: Double) -> String {
        let elapsed = max(now - t0, 1e-6)
        let rate = Double(max(done - start, 0)) / elapsed
        var text = "\(label): \(formatBytes(UInt64(max(done, 0))))"
        if let t = total, t > 0 {
            text += " of \(formatBytes(UInt64(t))) (\(done * 100 / t) %)"
        }
        text += ", \(formatBytes(UInt64(rate)))/s"
        if let t = total, t > 0, rate > 0 {
            text += done >= t ? ", done in \(formatDuration(elapsed))" : ", ETA \(formatDuration(Double(t - done) / rate))"
        }
        return text
    }
}
