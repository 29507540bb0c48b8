// The per-epoch CSV: one row per epoch, appended and flushed to disk as each epoch ends, so an
// interrupted run (Slurm time limit, node failure) keeps every finished epoch. Read back for the
// plots and for the `compare` command.

import Core
import Foundation

/// One row of epochs.csv. Undefined values (no validation split, one-class AUC) are NaN and are
/// written as `nan`.
public struct EpochRecord: Equatable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var valLoss: Double
    public var valAccuracy: Double
    public var valPrecision: Double
    public var valRecall: Double
    public var valF1: Double
    public var valAUC: Double
    public var epochSeconds: Double
    public var imagesPerSecond: Double
    public var peakMemoryMB: Double
    public var learningRate: Double

    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, valLoss: Double = .nan,
                valAccuracy: Double = .nan, valPrecision: Double = .nan, valRecall: Double = .nan,
                valF1: Double = .nan, valAUC: Double = .nan, epochSeconds: Double, imagesPerSecond: Double,
                peakMemoryMB: Double, learningRate: Double) {
        self.epoch = epoch; self.trainLoss = trainLoss; self.trainAccuracy = trainAccuracy
        self.valLoss = valLoss; self.valAccuracy = valAccuracy; self.valPrecision = valPrecision
        self.valRecall = valRecall; self.valF1 = valF1; self.valAUC = valAUC
        self.epochSeconds = epochSeconds; self.imagesPerSecond = imagesPerSecond
        self.peakMemoryMB = peakMemoryMB; self.learningRate = learningRate
    }

    /// The CSV header, in column order.
    public static let columns = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
                                 "val_precision", "val_recall", "val_f1", "val_auc", "epoch_seconds",
                                 "images_per_second", "peak_memory_mb", "learning_rate"]

    var reals: [Double] {
        [trainLoss, trainAccuracy, valLoss, valAccuracy, valPrecision, valRecall, valF1, valAUC,
         epochSeconds, imagesPerSecond, peakMemoryMB, learningRate]
    }

    /// The row as CSV text (no newline). Reals use Swift's shortest round-trip form, so reading
    /// the file back gives the same Doubles; NaN is `nan`.
    public var csvLine: String {
        ([String(epoch)] + reals.map { $0.isNaN ? "nan" : $0.description }).joined(separator: ",")
    }

    /// Equality that treats NaN as equal to NaN.
    public static func == (a: EpochRecord, b: EpochRecord) -> Bool {
        a.epoch == b.epoch && zip(a.reals, b.reals).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }
}

/// Appends EpochRecords to a CSV file, one durable write per epoch.
public final class EpochCSVWriter {
    public let path: String
    private let handle: FileHandle

    /// Opens `path` for appending; writes the header when the file is new or empty. An existing
    /// file must start with the same header (a resumed run continues its own CSV).
    public init(path: String) throws {
        self.path = path
        let fm = FileManager.default
        if let existing = fm.contents(atPath: path), !existing.isEmpty {
            let first = String(decoding: existing.prefix { $0 != 0x0A }, as: UTF8.self)
            guard first == EpochRecord.columns.joined(separator: ",") else {
                throw DeepfakeError("\(path) exists and is not an epoch CSV of this version (header '\(first)'): use a new run folder")
            }
        } else {
            guard fm.createFile(atPath: path, contents: Data((EpochRecord.columns.joined(separator: ",") + "\n").utf8)) else {
                throw DeepfakeError("cannot create \(path): check the run folder exists and is writable")
            }
        }
        guard let h = FileHandle(forWritingAtPath: path) else {
            throw DeepfakeError("cannot open \(path) for appending: check permissions")
        }
        h.seekToEndOfFile()
        handle = h
    }

    deinit { try? handle.close() }

    /// Appends one row and forces it to disk (one fsync per epoch is negligible next to an epoch).
    public func append(_ record: EpochRecord) throws {
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data((record.csvLine + "\n").utf8))
            try handle.synchronize()
        } catch {
            throw DeepfakeError("cannot append epoch \(record.epoch) to \(path): \(error.localizedDescription)")
        }
    }

    /// Reads every row of an epoch CSV (for plots and `compare`).
    public static func read(path: String) throws -> [EpochRecord] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DeepfakeError("cannot read \(path): check the run folder")
        }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        // A run killed mid-write leaves a last line without its newline: it is not a row yet.
        if data.last != 0x0A && lines.count > 1 { lines.removeLast() }
        guard let header = lines.first, header == EpochRecord.columns.joined(separator: ",")[...] else {
            throw DeepfakeError("\(path) is not an epoch CSV: its first line must be \(EpochRecord.columns.joined(separator: ","))")
        }
        return try lines.dropFirst().enumerated().map { (i, line) in
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            let reals = f.dropFirst().compactMap { Double($0) }
            guard f.count == EpochRecord.columns.count, let epoch = Int(f[0]), reals.count == f.count - 1 else {
                throw DeepfakeError("\(path) line \(i + 2) is malformed: '\(line)' (expected \(EpochRecord.columns.count) numbers)")
            }
            return EpochRecord(epoch: epoch, trainLoss: reals[0], trainAccuracy: reals[1], valLoss: reals[2],
                               valAccuracy: reals[3], valPrecision: reals[4], valRecall: reals[5], valF1: reals[6],
                               valAUC: reals[7], epochSeconds: reals[8], imagesPerSecond: reals[9],
                               peakMemoryMB: reals[10], learningRate: reals[11])
        }
    }
}
