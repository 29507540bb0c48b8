// RunStatus: `status.json` in every run folder says what state the run is in, so a folder left by
// a crash, a kill or a time limit never looks like a live or finished one. Rank 0 rewrites it
// atomically (AtomicFile) at the start, after every epoch and at the end.
//
//   {"state": "running" | "interrupted" | "failed" | "done", "error": "...", "pid": 123,
//    "host": "node1", "slurmJobId": "42", "startedAt": ..., "updatedAt": ..., "endedAt": ...,
//    "resumes": 0, "epochsDone": 3}

import Foundation
import Core
import Reporting

/// The states a run folder can be in.
public enum RunState: String, Codable, Sendable {
    case running, interrupted, failed, done
}

/// The content of status.json.
public struct RunStatus: Codable, Sendable {
    public var state: RunState
    public var error: String?
    public var pid: Int32
    public var host: String
    public var slurmJobId: String?
    public var startedAt: String
    public var updatedAt: String
    public var endedAt: String?
    /// How many times this run was resumed (0 for a run that never stopped).
    public var resumes: Int
    public var epochsDone: Int

    public static let fileName = RunFile.status.rawValue

    /// Reads `RUN/status.json`; nil when the folder has none (runs from before status.json existed).
    public static func read(runFolder: String) -> RunStatus? {
        guard let data = FileManager.default.contents(atPath: runFolder + "/" + fileName) else { return nil }
        return try? JSONDecoder().decode(RunStatus.self, from: data)
    }
}

/// Rank 0's writer of status.json (a no-op on other ranks).
final class RunStatusFile {
    let path: String?
    private(set) var status: RunStatus

    init(folder: String, isRoot: Bool, resumedFrom previous: RunStatus?) {
        path = isRoot ? folder + "/" + RunStatus.fileName : nil
        let env = ProcessInfo.processInfo.environment
        let now = RunStatusFile.timestamp()
        status = RunStatus(state: .running, error: nil, pid: ProcessInfo.processInfo.processIdentifier,
                           host: ProcessInfo.processInfo.hostName, slurmJobId: env["SLURM_JOB_ID"],
                           startedAt: previous?.startedAt ?? now, updatedAt: now, endedAt: nil,
                           resumes: previous.map { $0.resumes + 1 } ?? 0, epochsDone: previous?.epochsDone ?? 0)
    }

    /// Records `state` (with `error` for .failed) and rewrites the file.
    func set(_ state: RunState, error: String? = nil, epochsDone: Int? = nil) throws {
        status.state = state
        status.error = error
        if let epochsDone { status.epochsDone = epochsDone }
        status.updatedAt = RunStatusFile.timestamp()
        status.endedAt = state == .running ? nil : status.updatedAt
        guard let path else { return }
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try e.encode(status), to: path)
    }

    static func timestamp() -> String {
        ISO8601DateFormatter().string(from: Date())
    }
}
