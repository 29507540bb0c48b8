// Splitting a communicator into sub-groups, like MPI_Comm_split: the process grid of a sharded
// statevector run (ProcessGrid in Quantum) cuts the world into groups of k ranks that share one
// circuit's statevector and, across them, the data-parallel groups that add the gradients.

/// A communicator that can be split into disjoint sub-groups.
public protocol SplittableCommunicator: Communicator {
    /// Collective over every rank of this communicator: ranks passing the same `color` form one new
    /// communicator, ranked by `key` (ties by this communicator's rank), as MPI_Comm_split does.
    func split(color: Int, key: Int) -> any SplittableCommunicator
}

extension SingleProcessCommunicator: SplittableCommunicator {
    /// A world of one splits into itself.
    public func split(color: Int, key: Int) -> any SplittableCommunicator { SingleProcessCommunicator() }
}
