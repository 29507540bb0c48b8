// `bench quantum KIND`: the `<key> <value>` figures the quantum_*.py peer scripts read.

import ArgumentParser
import BenchSuite
import Foundation
import Quantum

struct QuantumCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantum",
        abstract: "Print `<key> <value>` figures of a quantum micro-benchmark for benchmarks/quantum_*.py --swift-cmd.")

    @Argument(help: "The peer script's figures.")
    var kind: QuantumFigureKind

    @Option(help: "Compute threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Qubit counts for `layer`, comma-separated.")
    var qubits = "24"

    @Option(help: "StronglyEntangling layers in the `layer` circuit (a later layer costs more than the first from |0>).")
    var layers = 1

    @Option(help: "Timed repeats for `layer` (after one warm-up round).")
    var repeats = 3

    @Option(help: "Block size (log2 amplitudes) of the blocked schedule for `layer`.")
    var blockQubits = ExecutorSettings(threads: .serial).blockQubits

    @Flag(help: "`layer`: time the blocked schedule only, not the gate-by-gate reference (for A/B runs of the kernels).")
    var blockedOnly = false

    func run() throws {
        let counts = qubits.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.count == qubits.split(separator: ",").count, counts.allSatisfy({ $0 >= 1 && $0 <= 30 }) else {
            throw ValidationError("--qubits must be comma-separated qubit counts between 1 and 30, e.g. 20,22,24; got \(qubits)")
        }
        guard layers >= 1 && layers <= 64 else { throw ValidationError("--layers must be between 1 and 64; got \(layers)") }
        for (k, v) in Peers.quantumFigures(kind, threads: threads, qubits: counts, layers: layers, repeats: repeats, blockQubits: blockQubits, perGate: !blockedOnly) { print("\(k) \(v)") }
    }
}
