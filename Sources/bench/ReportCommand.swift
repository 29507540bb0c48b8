// `bench report`: the comparison tables of result files (BenchReport), and SVG plots (ReportPlots).

import ArgumentParser
import BenchSuite
import Core
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Comparison tables (one per suite) of result files or folders of them.")

    @Argument(help: "Result files (*.h5) or folders holding them.")
    var inputs: [String]

    @Option(help: "Table format.")
    var format: BenchReport.Format = .markdown

    @Option(help: "Also write the table to this file (never one of the inputs).")
    var output: String?

    @Flag(help: "Replace an existing --output file.")
    var force = false

    @Option(help: "Write SVG plots (speed-up and efficiency against ranks, time against qubits, sharded time against ranks) into this folder.")
    var plots: String?

    func run() throws {
        try reportingErrors {
            let (results, skipped) = try BenchReport.load(inputs)
            for s in skipped { FileHandle.standardError.write(Data("bench: skipped \(s)\n".utf8)) }
            let text = BenchReport.render(results, format: format)
            print(text, terminator: "")
            if let path = output { try BenchReport.writeOutput(text, to: path, inputs: inputs + results.map(\.path), force: force) }
            if let dir = plots {
                for p in try ReportPlots.write(results, to: dir) { FileHandle.standardError.write(Data("bench: wrote \(p)\n".utf8)) }
            }
        }
    }
}
