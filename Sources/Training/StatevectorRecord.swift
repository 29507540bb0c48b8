// The `statevector` entry of each layer in quantum_resources.json: how the layer's states were
// laid out over ranks (amplitudes split for HQNN, circuits split for the trainable QNN's patches)
// and what the sharded states counted moving between them in the first training step (rank 0's
// own sends; every rank of a state group sends as much).

import Config
import Core
import Foundation
import Models

public enum StatevectorRecord {
    /// `groups`: the run's data-parallel groups (the per-rank batch is the global batch's share).
    public static func entry(_ part: QuantumPart, config: Config, groups: Int) -> [String: Any] {
        let batch = RankBatch.largestShare(global: config.batchSize, ranks: Swift.max(1, groups))
        let step = part.measuredStep()
        return [
            "ranks_per_state": part.statevectorRanks,
            "ranks_sharing_circuits": part.circuitRanks,
            "layout": layout(part),
            "data_parallel_groups": groups,
            "images_per_rank_per_step": batch,
            "bytes_per_rank": part.stateBytes.map { $0(batch).total as Any } ?? NSNull(),
            "exchanges_per_step": step.map { $0.traffic.exchanges as Any } ?? NSNull(),
            "bytes_exchanged_per_step": step.map { $0.traffic.bytesSent as Any } ?? NSNull(),
            "note": "bytes_per_rank: the layer's statevector memory on one rank for images_per_rank_per_step images, from the sizing rules "
                + "its allocations use; exchanges and bytes (sent by rank 0) were counted by the sharded states in the first training "
                + "step, null before one ran, 0 when every rank holds whole states (circuits shared by ranks exchange no amplitudes: "
                + "their gathered features and summed weight gradients are not counted here)",
        ]
    }

    /// How the layer's states and circuits were laid out over the ranks of a state group.
    static func layout(_ part: QuantumPart) -> String {
        if part.statevectorRanks > 1 {
            return "amplitudes: each state is split over the \(part.statevectorRanks) ranks of a state group (2^n / \(part.statevectorRanks) amplitudes per rank)"
        }
        if part.circuitRanks > 1 {
            return "circuits: the \(part.circuitRanks) ranks of a state group each simulate 1/\(part.circuitRanks) of the layer's circuits "
                + "(split by patches) on whole states, then gather the outputs and sum the weight gradients; no state is split"
        }
        return "whole states: this rank simulates every circuit of its images"
    }
}
