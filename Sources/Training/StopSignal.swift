// StopSignal: SIGTERM and SIGUSR1 (Slurm's time-limit warning, `--signal=B:USR1@N`, forwarded by
// slurm/train.sh; scancel; a pre-emption) ask a training run to stop at the next step boundary,
// write its resumable checkpoint and exit with `StopSignal.exitCode`, instead of dying mid-step.
// The handler only stores into an atomic flag (async-signal-safe); the training loop polls it.

import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

private let stopRequested = Atomic<Int32>(0)

private func recordStopSignal(_ signal: Int32) {
    stopRequested.store(signal, ordering: .relaxed)
}

public enum StopSignal {
    /// Exit status of a run that stopped on a signal after writing its checkpoint (EX_TEMPFAIL:
    /// "try again"); slurm/train.sh requeues the job on it.
    public static let exitCode: Int32 = 75

    /// Routes SIGTERM and SIGUSR1 to the flag (idempotent).
    public static func install() {
        signal(SIGTERM, recordStopSignal)
        signal(SIGUSR1, recordStopSignal)
    }

    /// The signal that asked this process to stop, or nil.
    public static var received: Int32? {
        let s = stopRequested.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }
}

/// Thrown out of training after a signal stopped it and the checkpoint was written.
public struct TrainingInterrupted: Error, CustomStringConvertible {
    public let runFolder: String
    public let signal: Int32
    public var description: String {
        "training stopped on signal \(signal) (\(signal == SIGUSR1 ? "SIGUSR1" : signal == SIGTERM ? "SIGTERM" : "signal")) "
            + "after writing its checkpoint: continue with `deepfake --resume \(runFolder) -o`"
    }
}
