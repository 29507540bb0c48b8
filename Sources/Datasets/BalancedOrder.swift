// Balanced epoch order for multi-dataset training (`balanceTrainData`): training images are
// grouped by (dataset, class), and every group gets an equal share of each epoch and of each batch,
// so one large dataset (or one majority class) does not drown the others.
//
// What an epoch means then: the same number of images as the plain shuffle (so the same number of
// steps, and the learning-rate schedule is unchanged); of its N images each of the G groups supplies
// N/G (floor or ceil). A group larger than N/G is subsampled without replacement (a new random subset
// every epoch); a smaller one is repeated (each pass over it a new permutation), so its images
// appear floor or ceil of (N/G)/size times. Positions are dealt in rounds of G, one image per group
// per round in a random group order, so any run of consecutive images, a global batch in
// particular, holds every group within one image of an equal share per round it spans.
//
// Everything derives from (seed, epoch) only (stream "balance"), so every MPI rank computes the
// same order without communication and takes its shard of each batch as with the plain shuffle.

import Core

public struct BalancedOrder: Sendable, Equatable {
    /// Group names, sorted ("<dataset>/real", "<dataset>/fake"), and each group's image indices.
    public let keys: [String]
    public let members: [[Int]]
    /// Images per epoch (the number of training indices).
    public let length: Int

    /// `indices`: the training images; `key(i)`: the group of image i (see `groupKey`).
    public init(indices: [Int], key: (Int) -> String) {
        var byKey: [String: [Int]] = [:]
        for i in indices { byKey[key(i), default: []].append(i) }
        keys = byKey.keys.sorted()
        members = keys.map { byKey[$0]! }
        length = indices.count
    }

    /// Groups by the image's config dataset name and class (label 1 = fake).
    public init(indices: [Int], datasetNames: [String], labels: [Int32]) {
        self.init(indices: indices) { BalancedOrder.groupKey(dataset: datasetNames[$0], label: labels[$0]) }
    }

    public static func groupKey(dataset: String, label: Int32) -> String { "\(dataset)/\(label == 1 ? "fake" : "real")" }

    /// The balanced order of `epoch` (length `length`).
    public func order(epoch: Int, seed: UInt64) -> [Int] {
        let g = members.count
        guard g > 0 else { return [] }
        var rng = SeededRNG(seed: seed, stream: "balance", index: UInt64(epoch))
        var pools = members.map { _ in [Int]() }  // what is left of each group's current pass
        var out: [Int] = []
        out.reserveCapacity(length)
        while out.count < length {
            for group in rng.permutation(g) where out.count < length {
                if pools[group].isEmpty { pools[group] = rng.permutation(members[group].count).map { members[group][$0] } }
                out.append(pools[group].removeLast())
            }
        }
        return out
    }

    /// One line for the run log: the groups, their sizes and their share of each epoch.
    public var summary: String {
        let share = members.isEmpty ? 0 : Double(length) / Double(members.count)
        let groups = zip(keys, members).map { "\($0) \($1.count)" }.joined(separator: ", ")
        return String(format: "balanced training: %d (dataset, class) group(s) [", members.count) + groups
            + String(format: "], each %.1f of the %d images of an epoch (as many images and steps as unbalanced)", share, length)
    }
}
