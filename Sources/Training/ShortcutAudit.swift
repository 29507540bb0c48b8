// `deepfake audit -c CONFIG [-o]` and the audit lines at the start of a training run: measure the
// trivial properties of every source image of the config's datasets (Datasets/ImageProperties.swift,
// cached per dataset under dataPath), and report per dataset how well each property alone separates
// real from fake (Reporting/ShortcutReport.swift), flagging likely shortcuts.

import Config
import Core
import Datasets
import Foundation
import Reporting
#if canImport(Glibc)
import Glibc
#endif

/// The audited properties, in table order; the raw value is the report's name (ImageProperties
/// documents each measure).
public enum AuditProperty: String, CaseIterable, Sendable {
    case width, height, format
    case fileBytes = "file_bytes", jpegQuality = "jpeg_quality", exif
    case meanRed = "mean_red", meanGreen = "mean_green", meanBlue = "mean_blue"
    case sharpness, highFrequencyEnergy = "hf_energy"

    /// This property's value of one image.
    func value(_ p: ImageProperties) -> AuditValue {
        switch self {
        case .width: return .number(Double(p.width))
        case .height: return .number(Double(p.height))
        case .format: return .category(p.format)
        case .fileBytes: return .number(Double(p.fileBytes))
        case .jpegQuality: return p.jpegQuality.map { .number(Double($0)) } ?? .missing
        case .exif: return .number(p.exif ? 1 : 0)
        case .meanRed: return .number(p.meanRed)
        case .meanGreen: return .number(p.meanGreen)
        case .meanBlue: return .number(p.meanBlue)
        case .sharpness: return .number(p.sharpness)
        case .highFrequencyEnergy: return .number(p.highFrequencyEnergy)
        }
    }
}

public enum ShortcutAudit {
    /// The report's property names, in table order.
    public static let properties = AuditProperty.allCases.map(\.rawValue)

    static func sample(_ p: ImageProperties) -> AuditSample {
        AuditSample(dataset: p.dataset, label: p.label, values: AuditProperty.allCases.map { $0.value(p) })
    }

    /// Every dataset the config names: trainData, then testData entries of other names.
    public static func entries(_ config: Config) -> [DatasetEntry] {
        var seen = Set<String>(), out: [DatasetEntry] = []
        for e in config.trainData + config.testData where !seen.contains(e.name) { seen.insert(e.name); out.append(e) }
        return out
    }

    /// Measures (or reads from the cache) every image of `entries` and builds the report; logs
    /// per dataset the images measured, skipped, and the time it took.
    public static func report(config: Config, entries: [DatasetEntry], log: RunLog, threads: Threads) throws -> ShortcutReport {
        let resolver = DatasetResolver(kagglePath: config.kagglePath, dataPath: config.dataPath,
                                       builtinSize: max(config.imageHeight, config.imageWidth), threads: threads)
        var samples: [AuditSample] = []
        for entry in entries {
            let scan = try SourceScan.scan([entry], resolver: resolver)
            let r = try ImagePropertyCache.load(dataset: entry.name, images: scan.images, dataPath: config.dataPath, threads: threads)
            log.info("audit \(entry.name): \(r.properties.count) image(s) \(r.reusedCache ? "read from the cache" : "measured") in "
                     + String(format: "%.2f s", r.seconds) + " (\(r.skipped.count) skipped; cache \(r.cachePath))")
            for s in r.skipped.prefix(10) { log.info("  audit skipped \(s.path): \(s.reason)") }
            samples += r.properties.map(sample)
        }
        return ShortcutReport(properties: properties, samples: samples, datasets: entries.map(\.name))
    }

    /// The training run's audit lines (rank 0, at the start): flags only, never fatal.
    static func logFlags(config: Config, log: RunLog, threads: Threads) {
        let t0 = WallClock.now()
        do {
            let report = try report(config: config, entries: entries(config), log: log, threads: threads)
            for line in report.flagLines { log.info(line) }
            log.info(String(format: "audit: %.2f s (`deepfake audit -c CONFIG` writes the whole table)", WallClock.now() - t0))
        } catch {
            log.warning("shortcut audit skipped: \(error)")
        }
    }

    /// A new folder: `output` exactly (refused when it exists: an audit never overwrites), or
    /// `<outputsPath>/audit_<datasets>_<UTC stamp>_<random>` made with an atomic mkdir.
    public static func makeFolder(output: String?, outputsPath: String, datasets: [String]) throws -> String {
        if let output {
            guard !FileManager.default.fileExists(atPath: output) else {
                throw DeepfakeError("audit output \(output) already exists: give a new folder (an audit never overwrites one), or leave -o out for a fresh folder under outputsPath")
            }
            do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
                throw DeepfakeError("cannot create audit output \(output): \(error.localizedDescription)")
            }
            return output
        }
        do { try FileManager.default.createDirectory(atPath: outputsPath, withIntermediateDirectories: true) } catch {
            throw DeepfakeError("cannot create outputsPath \(outputsPath): \(error.localizedDescription); set outputsPath in the config to a writable folder")
        }
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"; f.timeZone = TimeZone(identifier: "UTC"); f.locale = Locale(identifier: "en_US_POSIX")
        let base = RunFolder.baseName(model: "audit", batchSize: 0, epochs: 0, datasets: datasets)
            .replacingOccurrences(of: "audit_bs0_ep0_", with: "audit_")
        for _ in 0..<1000 {
            let path = (outputsPath as NSString).appendingPathComponent("\(base)_\(f.string(from: Date()))_\(RunFolder.randomToken())")
            if mkdir(path, 0o755) == 0 { return path }
            if errno != EEXIST { throw DeepfakeError("cannot create audit folder \(path): \(String(cString: strerror(errno)))") }
        }
        throw DeepfakeError("no free audit folder name under \(outputsPath) after 1000 tries")
    }
}
