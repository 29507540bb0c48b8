// `deepfake audit`: the command around ShortcutAudit (Training), which needs App's data staging to
// download missing datasets and the run's thread count.

import Config
import Core
import Foundation
import Reporting
import Training

extension ShortcutAudit {
    /// `deepfake audit`: downloads unless offline, prints the table, writes audit.{json,csv,txt}
    /// into a NEW folder (`output`, which must not exist, or a fresh one under outputsPath); returns it.
    @discardableResult
    public static func audit(_ request: RunRequest, output: String?, print: (String) -> Void = { Swift.print($0, terminator: "") }) throws -> String {
        let config = try Config.load(path: request.configPath)
        let log = RunLog()
        let threads = DeepfakeApp.applyThreads(config)
        try DataStage(config: config, offline: request.offline, resort: false, log: log, threads: threads).downloadMissing()
        let list = entries(config)
        let folder = try makeFolder(output: output, outputsPath: config.outputsPath, datasets: list.map(\.name))
        let t0 = WallClock.now()
        let report = try report(config: config, entries: list, log: log, threads: threads)
        try report.write(to: folder, context: ["config": request.configPath, "datasets": list.map(\.name),
                                               "seconds": WallClock.now() - t0])
        print(report.table)
        for line in report.flagLines { log.info(line) }
        log.info("audit written to \(folder) (audit.txt, audit.json, audit.csv)")
        return folder
    }
}
