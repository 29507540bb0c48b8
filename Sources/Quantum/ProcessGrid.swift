// ProcessGrid: the world's ranks as (data-parallel group) x (statevector rank). With
// `statevectorRanks` k, world rank r is rank r % k of state group r / k: the k ranks of a state
// group see the same images and share the circuits: every HQNN circuit's statevector by amplitudes
// (ShardedStatevector, ShardedGradients), or the trainable QNN's patch circuits by patches
// (Models' SampleSharedExecutor); rank s of every state group together form data-parallel group
// s, over which the gradients are added and BatchNorm statistics synchronised. So a step runs
// world / k shards of the global batch, each on k ranks.

import Core

public struct ProcessGrid {
    /// The whole job.
    public let world: any Communicator
    /// The k ranks that share the circuits (this rank's state group): each statevector, or the patches.
    public let state: any Communicator
    /// One rank of every state group (world / k ranks): the data-parallel group of the trainer.
    public let data: any Communicator

    /// Ranks per statevector.
    public var statevectorRanks: Int { state.size }
    /// Data-parallel groups (shards of the global batch).
    public var groups: Int { data.size }

    /// Splits `world` (collective: every rank calls it with the same k).
    /// - Throws: when k is not a power of two or does not divide the world size.
    public init(world: any SplittableCommunicator, statevectorRanks k: Int) throws {
        try Self.validate(statevectorRanks: k, worldSize: world.size)
        self.world = world
        if k == 1 {
            state = SingleProcessCommunicator()
            data = world
        } else if k == world.size {
            state = world
            data = SingleProcessCommunicator()
        } else {
            state = world.split(color: world.rank / k, key: world.rank % k)
            data = world.split(color: world.rank % k, key: world.rank / k)
        }
    }

    /// The grid of a job that does not shard: every rank is its own state group.
    public init(unsharded world: any Communicator) {
        self.world = world
        state = SingleProcessCommunicator()
        data = world
    }

    public static func validate(statevectorRanks k: Int, worldSize: Int) throws {
        guard k >= 1, k & (k - 1) == 0 else {
            throw DeepfakeError("statevectorRanks is \(k): it must be a power of two (1, 2, 4, 8, ...) or auto")
        }
        guard worldSize % k == 0 else {
            throw DeepfakeError("statevectorRanks \(k) does not divide the \(worldSize) rank(s) of this job into whole state groups: "
                + "launch a multiple of \(k) ranks (e.g. srun -n \(k * Swift.max(1, (worldSize + k - 1) / k))) or set statevectorRanks to a power of two dividing \(worldSize)")
        }
    }

    /// The powers of two that divide `worldSize`, smallest first: the statevectorRanks a job can use.
    public static func candidates(worldSize: Int) -> [Int] {
        var out: [Int] = [], k = 1
        while k <= worldSize { if worldSize % k == 0 { out.append(k) }; k *= 2 }
        return out
    }
}
