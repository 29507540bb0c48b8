// The `statevector` entry of each layer in quantum_resources.json: how the layer's states were
// laid out over ranks and what the sharded states counted moving between them in the first
// training step (rank 0's own sends; every rank of a state group sends as much).

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
            "data_parallel_groups": groups,
            "images_per_rank_per_step": batch,
            "bytes_per_rank": part.stateBytes.map { $0(batch).total as Any } ?? NSNull(),
            "exchanges_per_step": step.map { $0.traffic.exchanges as Any } ?? NSNull(),
            "bytes_exchanged_per_step": step.map { $0.traffic.bytesSent as Any } ?? NSNull(),
            "note": "bytes_per_rank: the layer's statevector memory on one rank for images_per_rank_per_step images, from the sizing rules "
                + "its allocations use; exchanges and bytes (sent by rank 0) were counted by the sharded states in the first training "
                + "step, null before one ran, 0 when every rank holds whole states",
        ]
    }
}
