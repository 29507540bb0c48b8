// `bench quantum KIND`: the `<key> <value>` figures the quantum_*.py peer scripts read.

import ArgumentParser
import BenchSuite
import Foundation

struct QuantumCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantum",
        abstract: "Print `<key> <value>` figures of a quantum micro-benchmark for benchmarks/quantum_*.py --swift-cmd.")

    @Argument(help: "The peer script's figures.")
    var kind: QuantumFigureKind

    @Option(help: "Compute threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    func run() {
        for (k, v) in Peers.quantumFigures(kind, threads: threads) { print("\(k) \(v)") }
    }
}
