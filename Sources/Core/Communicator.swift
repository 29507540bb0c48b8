// Communicator: the only way library code learns about other processes.
//
// Libraries take `any Communicator`. A single process uses `SingleProcessCommunicator`; MPI runs
// use the implementation in the Distributed target; tests may use `LoopbackGroup` (several
// in-process ranks on threads) so `swift test` never needs mpirun.

public protocol Communicator: AnyObject, Sendable {
    var rank: Int { get }
    var size: Int { get }
    /// In-place elementwise sum over all ranks.
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>)
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>)
    /// In-place elementwise max over all ranks.
    func allreduceMax(_ buffer: UnsafeMutableBufferPointer<Double>)
    /// Root's bytes are copied to every rank (buffers must have the same length everywhere).
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int)
    /// Every rank's `mine` concatenated in rank order (lengths may differ between ranks).
    func allgather(_ mine: [Double]) -> [Double]
    func barrier()
}

extension Communicator {
    public var isRoot: Bool { rank == 0 }

    public func allreduceSum(_ values: inout [Double]) {
        values.withUnsafeMutableBufferPointer { allreduceSum($0) }
    }
    public func allreduceSum(_ values: inout [Float]) {
        values.withUnsafeMutableBufferPointer { allreduceSum($0) }
    }
    public func allreduceSum(_ value: Double) -> Double {
        var v = [value]
        allreduceSum(&v)
        return v[0]
    }
    public func allreduceMax(_ value: Double) -> Double {
        var v = [value]
        v.withUnsafeMutableBufferPointer { allreduceMax($0) }
        return v[0]
    }
}

/// The world of one process: every collective is the identity.
public final class SingleProcessCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {}
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    public func allreduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) {}
    public func allgather(_ mine: [Double]) -> [Double] { mine }
    public func barrier() {}
}
