// `deepfake audit`: the shortcut audit of a config's datasets (Training's ShortcutAudit).

import ArgumentParser
import App
import Training

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Shortcut audit: how well trivial image properties (size, format, JPEG quality, EXIF, colour, sharpness) alone separate each dataset's real and fake images.")

    @Option(name: [.short, .customLong("config")], help: "YAML config file whose trainData and testData are audited.")
    var config: String?

    @Flag(name: [.short, .long], help: "Offline: never touch the network; use data already in the kagglehub cache.")
    var offline = false

    @Option(name: .customLong("output"), help: "New folder for audit.txt/json/csv (must not exist); default a fresh folder under outputsPath.")
    var output: String?

    func run() throws {
        guard let config else { throw ValidationError("missing -c CONFIG: the YAML config whose datasets to audit") }
        try runReportingErrors { try ShortcutAudit.audit(RunRequest(configPath: config, offline: offline), output: output) }
    }
}
