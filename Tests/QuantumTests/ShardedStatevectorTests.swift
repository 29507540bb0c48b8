// The sharded statevector against the dense reference: on one rank, and on 2, 4 and 8 ranks
// simulated in-process by threads that exchange shards through a mailbox (the real-MPI check of
// the same code is `bench sharded` under mpirun in scripts/mpi-check.sh).

import Core
import Foundation
import XCTest
@testable import Quantum

/// In-process ranks on threads: only what the sharded statevector uses (pairwise exchange and a
/// Double allreduce) is implemented.
final class ThreadRanks: @unchecked Sendable {
    let size: Int
    let cond = NSCondition()
    /// FIFO per (from, to): consecutive exchanges between the same pair stay in order.
    var mailbox: [Int: [[Double]]] = [:]
    var accumulator: [Double] = [], result: [Double] = []
    var arrived = 0, generation = 0

    init(size: Int) { self.size = size }

    /// Runs `body` on every rank and returns the ranks' results in rank order.
    func collect<T: Sendable>(_ body: @escaping @Sendable (any Communicator) -> T) -> [T] {
        let lock = NSLock()
        nonisolated(unsafe) var out = [T?](repeating: nil, count: size)
        run { comm in
            let v = body(comm)
            lock.lock(); out[comm.rank] = v; lock.unlock()
        }
        return out.map { $0! }
    }

    /// Runs `body(rank communicator)` on `size` threads at once and waits for all of them.
    func run(_ body: @escaping @Sendable (any Communicator) -> Void) {
        let done = DispatchSemaphore(value: 0)
        for r in 0..<size {
            let t = Thread { body(ThreadRank(rank: r, group: self)); done.signal() }
            t.stackSize = 8 << 20
            t.start()
        }
        for _ in 0..<size { done.wait() }
    }
}

final class ThreadRank: Communicator, @unchecked Sendable {
    let rank: Int
    let group: ThreadRanks
    var size: Int { group.size }
    init(rank: Int, group: ThreadRanks) { self.rank = rank; self.group = group }

    func exchange(_ send: UnsafeBufferPointer<Double>, _ receive: UnsafeMutableBufferPointer<Double>, partner: Int) {
        let g = group
        g.cond.lock()
        g.mailbox[rank * size + partner, default: []].append(Array(send))
        g.cond.broadcast()
        while g.mailbox[partner * size + rank]?.isEmpty ?? true { g.cond.wait() }
        let got = g.mailbox[partner * size + rank]!.removeFirst()
        g.cond.unlock()
        _ = receive.update(fromContentsOf: got)
    }

    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {
        let g = group
        g.cond.lock()
        let generation = g.generation
        if g.arrived == 0 { g.accumulator = [Double](repeating: 0, count: buffer.count) }
        for i in 0..<buffer.count { g.accumulator[i] += buffer[i] }
        g.arrived += 1
        if g.arrived == size {
            g.result = g.accumulator; g.arrived = 0; g.generation += 1
            g.cond.broadcast()
        } else {
            while g.generation == generation { g.cond.wait() }
        }
        for i in 0..<buffer.count { buffer[i] = g.result[i] }
        g.cond.unlock()
    }

    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) { fatalError("not used by the sharded statevector") }
    func allreduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) { fatalError("not used by the sharded statevector") }
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) { fatalError("not used by the sharded statevector") }
    func allgather(_ mine: [Double]) -> [Double] { fatalError("not used by the sharded statevector") }
    func allgather(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int]) { fatalError("not used by the sharded statevector") }
    func barrier() { fatalError("not used by the sharded statevector") }
}

final class ShardedStatevectorTests: XCTestCase {
    let inputs = [0.3, -1.1, 0.7]
    let weights = (0..<40).map { sin(Double($0) * 1.7) * 2 }

    func testOneRankMatchesTheDenseReference() throws {
        for n in 3...7 {
            for seed in 1...3 as ClosedRange<UInt64> {
                let c = randomCircuit(n: n, gates: 40, seed: seed * 11 + UInt64(n))
                for block in [ExecutorSettings.defaultBlockQubits, 4] {
                    let s = try ShardedStatevector(qubits: n, communicator: SingleProcessCommunicator(), blockQubits: block)
                    s.apply(c, inputs: inputs, weights: weights)
                    s.restoreLayout()   // blocks of 2^4 < 2^n leave wires on other bits
                    let ref = Dense.state(c, inputs: inputs, weights: weights)
                    for k in 0..<(1 << n) {
                        XCTAssertEqual(s.re[k], ref[k].re, accuracy: 1e-12, "n \(n) seed \(seed) block \(block) amplitude \(k)")
                        XCTAssertEqual(s.im[k], ref[k].im, accuracy: 1e-12, "n \(n) seed \(seed) block \(block) amplitude \(k)")
                    }
                }
                let s = try ShardedStatevector(qubits: n, communicator: SingleProcessCommunicator())
                s.apply(c, inputs: inputs, weights: weights)
                let z = s.expectationZ(), zRef = Dense.expvals(c, inputs: inputs, weights: weights)
                for w in 0..<n { XCTAssertEqual(z[w], zRef[w], accuracy: 1e-12) }
                XCTAssertEqual(s.exchanges, 0)
            }
        }
    }

    /// With the default block (the whole shard is one block at these sizes: only exchanges move
    /// wires) and with blocks of 2^4 amplitudes (permutation passes inside each shard too).
    func testSeveralRanksHoldTheirSliceOfTheDenseStateAndAgreeOnExpectations() {
        for (n, ranks, block) in [(4, 2, 15), (5, 4, 15), (6, 8, 15), (7, 4, 15), (7, 4, 4), (8, 2, 4), (8, 8, 4)] {
            for seed in 1...2 as ClosedRange<UInt64> {
                let c = randomCircuit(n: n, gates: 60, seed: seed * 7 + UInt64(n * ranks))
                let ref = Dense.state(c, inputs: inputs, weights: weights)
                let zRef = Dense.expvals(c, inputs: inputs, weights: weights)
                let group = ThreadRanks(size: ranks)
                let lock = NSLock()
                nonisolated(unsafe) var failures: [String] = []
                nonisolated(unsafe) var exchanged = 0
                let (inputs, weights) = (self.inputs, self.weights)
                group.run { comm in
                    var bad: [String] = []
                    do {
                        let s = try ShardedStatevector(qubits: n, communicator: comm, blockQubits: block)
                        s.apply(c, inputs: inputs, weights: weights)
                        let z = s.expectationZ()  // read in the remapped layout
                        s.restoreLayout()
                        if !s.isCanonical { bad.append("rank \(comm.rank): layout not restored \(s.bitOfWire)") }
                        let base = comm.rank << s.localQubits
                        for k in 0..<s.re.count
                        where abs(s.re[k] - ref[base + k].re) > 1e-12 || abs(s.im[k] - ref[base + k].im) > 1e-12 {
                            bad.append("rank \(comm.rank) amplitude \(base + k): \(s.re[k]) \(s.im[k]) vs \(ref[base + k])")
                        }
                        for w in 0..<n where abs(z[w] - zRef[w]) > 1e-12 { bad.append("rank \(comm.rank) <Z_\(w)> \(z[w]) vs \(zRef[w])") }
                        if abs(s.norm() - 1) > 1e-12 { bad.append("rank \(comm.rank) norm") }
                        lock.lock(); exchanged += s.exchanges; lock.unlock()
                    } catch {
                        bad.append("\(error)")
                    }
                    lock.lock(); failures += bad; lock.unlock()
                }
                XCTAssertEqual(failures, [], "n \(n) ranks \(ranks) block \(block) seed \(seed)")
                XCTAssertGreaterThan(exchanged, 0, "the circuit should touch a global qubit")
            }
        }
    }

    /// A remap swap goes in messages of `exchangeChunk` amplitudes. Any message size (one
    /// amplitude, an uneven last message, several per half) moves the same amplitudes as one
    /// message per half: states bit-identical, <Z> and adjoint gradients too (up to the order of
    /// a reduction's sums), the same exchanges
    /// and bytes counted, and the message buffers hold one message, not half a shard.
    func testExchangesInSmallMessagesMoveTheSameAmplitudes() {
        let n = 8, block = 4
        let c = randomCircuit(n: n, gates: 60, seed: 5)
        var strong = Circuit(nQubits: n, nInputs: 0, nWeights: 3 * n * 2)
        Templates.stronglyEntangling(&strong, layers: 2)
        let layer = strong
        let (inputs, weights) = (self.inputs, self.weights)
        let w = (0..<layer.nWeights).map { cos(Double($0) * 0.9) * 2 }, g = (0..<n).map { Double($0) / 7 - 0.4 }
        for ranks in [2, 4] {
            for chunk in [1, 3, 5, 16] {
                let results = ThreadRanks(size: ranks).collect { comm -> [String] in
                    var bad: [String] = []
                    let one = try! ShardedStatevector(qubits: n, communicator: comm, blockQubits: block)
                    let small = try! ShardedStatevector(qubits: n, communicator: comm, blockQubits: block)
                    small.exchangeChunk = chunk
                    one.apply(c, inputs: inputs, weights: weights); small.apply(c, inputs: inputs, weights: weights)
                    if one.re != small.re || one.im != small.im { bad.append("rank \(comm.rank): amplitudes differ") }
                    if one.exchanges == 0 || one.exchanges != small.exchanges || one.bytesSent != small.bytesSent {
                        bad.append("rank \(comm.rank): exchanges \(one.exchanges) / \(small.exchanges), bytes \(one.bytesSent) / \(small.bytesSent)")
                    }
                    if !(small.exchangeSeconds > 0 && small.messageSeconds > 0 && small.messageSeconds <= small.exchangeSeconds) {
                        bad.append("rank \(comm.rank): exchange seconds \(small.exchangeSeconds), in messages \(small.messageSeconds)")
                    }
                    if small.sendBuffer.count != 2 * Swift.min(chunk, small.re.count / 2) || one.sendBuffer.count != small.re.count {
                        bad.append("rank \(comm.rank): message buffers \(small.sendBuffer.count) / \(one.sendBuffer.count) doubles")
                    }
                    let a = try! ShardedCircuit(circuit: layer, communicator: comm, blockQubits: block)
                    let b = try! ShardedCircuit(circuit: layer, communicator: comm, blockQubits: block)
                    b.exchangeChunk = chunk
                    for _ in 0..<2 {   // the second sample reuses lambda: it keeps the chunk
                        let va = a.vjp(inputs: [], weights: w, upstream: g, method: .adjoint)
                        let vb = b.vjp(inputs: [], weights: w, upstream: g, method: .adjoint)
                        // (Equal up to the order of the allreduce's sums: ThreadRanks adds in arrival order.)
                        let d = zip(va.expvals + va.weights, vb.expvals + vb.weights).map { abs($0 - $1) }.max()!
                        if d > 1e-13 || va.weights.count != vb.weights.count { bad.append("rank \(comm.rank): gradients differ by \(d)") }
                        if va.exchanges == 0 || va.exchanges != vb.exchanges { bad.append("rank \(comm.rank): vjp exchanges \(va.exchanges) / \(vb.exchanges)") }
                    }
                    return bad
                }
                XCTAssertEqual(results.flatMap { $0 }, [], "ranks \(ranks) chunk \(chunk)")
            }
        }
    }

    func testRankCountsThatCannotShardAreRefusedWithTheFix() {
        XCTAssertThrowsError(try ShardedStatevector(qubits: 8, communicator: ThreadRank(rank: 0, group: ThreadRanks(size: 3)))) {
            XCTAssertTrue("\($0)".contains("power-of-two number of ranks"), "\($0)")
        }
        XCTAssertThrowsError(try ShardedStatevector(qubits: 4, communicator: ThreadRank(rank: 0, group: ThreadRanks(size: 4)))) {
            XCTAssertTrue("\($0)".contains("use at most 2 ranks"), "\($0)")
        }
    }
}
