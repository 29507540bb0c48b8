// DataStage: from the config's dataset entries to prepared tensors: download (unless offline),
// sort into real/fake, decode and cache in HDF5 (see the Datasets target).

import Config
import Core
import Datasets
import Download
import Foundation
import Training

public struct DataStage {
    public let config: Config
    public let offline: Bool
    public let resort: Bool
    public let log: RunLog
    /// Decode and generation threads.
    public let threads: Threads

    public init(config: Config, offline: Bool, resort: Bool, log: RunLog, threads: Threads) {
        self.config = config; self.offline = offline; self.resort = resort; self.log = log; self.threads = threads
    }

    var settings: PrepareSettings {
        PrepareSettings(height: config.imageHeight, width: config.imageWidth, channels: config.numChannels, resort: resort,
                        threads: threads)
    }

    /// Downloads every Kaggle dataset of trainData and testData not yet complete in the cache.
    /// Offline mode never touches the network.
    public func downloadMissing() throws {
        let handles = (config.trainData + config.testData).compactMap { entry -> KaggleHandle? in
            if case .kaggle(let h) = entry.source { return h } else { return nil }
        }
        guard !handles.isEmpty else { return }
        if offline {
            log.info("offline (-o): using the kagglehub cache only, no downloads")
            return
        }
        let downloader = try KaggleDownloader(cache: KaggleCache(kagglePath: config.kagglePath), log: log)
        _ = try downloader.ensureAll(handles)
    }

    /// The training data (always) and the test data (when the config tests on testData).
    public func prepareAll() throws -> [PreparedRole] {
        try downloadMissing()
        // Before any decoding: the same folder or files in trainData and testData (or twice in trainData) is refused.
        let resolver = DatasetResolver(kagglePath: config.kagglePath, dataPath: config.dataPath,
                                       builtinSize: max(config.imageHeight, config.imageWidth))
        try LeakageCheck.check(train: config.trainData, test: config.testsOnTestData ? config.testData : [],
                               resolver: resolver, log: log)
        var out = [PreparedRole(role: "train", data: try prepare(config.trainData))]
        if config.testsOnTestData && !config.testData.isEmpty {
            out.append(PreparedRole(role: "test", data: try prepare(config.testData)))
        }
        return out
    }

    public func prepare(_ entries: [DatasetEntry]) throws -> PreparedData {
        let data = try DataPreparer.prepare(entries: entries, dataPath: config.dataPath, kagglePath: config.kagglePath,
                                            settings: settings, log: log)
        if !data.skipped.isEmpty {
            log.warning("\(data.skipped.count) unreadable image(s) skipped (labels of the others are unaffected):")
            for s in data.skipped.prefix(50) { log.info("  skipped \(s.path): \(s.reason)") }
            if data.skipped.count > 50 { log.info("  ... and \(data.skipped.count - 50) more (all listed in the cache build log above)") }
        }
        let counts = data.classCounts
        guard counts.count == 2, counts[0] > 0, counts[1] > 0 else {
            throw DeepfakeError("datasets \(entries.map(\.name)) gave \(counts.first ?? 0) real and \(counts.count > 1 ? counts[1] : 0) fake images: "
                + "both classes are needed; check the class folders (real/fake) of these datasets")
        }
        return data
    }
}
