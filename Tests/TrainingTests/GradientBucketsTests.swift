// The overlapped data-parallel gradient sum (GradientBuckets): its buckets cut the real
// ResNet-18's gradient buffer into whole parameters in reverse order, sums started during the
// backward pass give bitwise the blocking allreduce's gradients on 2 and 4 in-process ranks (the
// loopback group sums in rank order either way), and the loopback group's nonblocking sums
// complete independently of the blocking collectives between them. Real mpirun ranks run the
// same path through the Trainer in scripts/mpi-check.sh.

import Core
import Models
import NN
import TestSupport
import XCTest
@testable import Training

final class GradientBucketsTests: XCTestCase {
    func testBucketsCutTheGradientsIntoWholeParametersInReverseOrder() {
        let network = ClassicResNet18(seed: 1).network
        let floats = 1 << 20
        let buckets = GradientBuckets(network: network, communicator: SingleProcessCommunicator(), bucketFloats: floats).buckets
        XCTAssertGreaterThan(buckets.count, 5)
        XCTAssertEqual(buckets.first?.range.upperBound, network.parameterCount, "the first bucket holds the last parameters (fc)")
        XCTAssertEqual(buckets.last?.range.lowerBound, 0, "the last bucket holds conv1")
        for (b, bucket) in buckets.enumerated() {
            if b > 0 { XCTAssertEqual(bucket.range.upperBound, buckets[b - 1].range.lowerBound, "bucket \(b) is not next to bucket \(b - 1)") }
            if b < buckets.count - 1 { XCTAssertGreaterThanOrEqual(bucket.range.count, floats, "bucket \(b) closed early") }
            let covered = bucket.entries.map { network.entries[$0].count }.reduce(0, +)
            XCTAssertEqual(covered, bucket.range.count, "bucket \(b)'s parameters do not fill its range")
            for i in bucket.entries {
                let e = network.entries[i]
                XCTAssertEqual(e.kind, .trainable)
                XCTAssertTrue(bucket.range.contains(e.offset) && e.offset + e.count <= bucket.range.upperBound, "\(e.name) outside bucket \(b)")
            }
        }
        XCTAssertEqual(network.entry(named: "fc.bias").map { buckets[0].entries.contains(network.entries.firstIndex(of: $0)!) }, true)
    }

    func testSequentialReportsEachChildAfterItsBackwardInReverseOrder() {
        let network = Network(Sequential([("a", Linear(4, 3)), ("b", Sequential([Linear(3, 3), Linear(3, 2)]))]), seed: 2)
        let x = Tensor(shape: [2, 4], values: (0..<8).map { Float($0) * 0.1 - 0.3 })
        _ = network.forward(x, training: true)
        var reported: [String] = []
        network.zeroGradients()
        network.backward(Tensor(shape: [2, 2], values: [1, -1, 0.5, 2]), readiness: GradientReadiness { reported.append($0) })
        XCTAssertEqual(reported, ["b.1.", "b.0.", "b.", "a."])
        let observed = Array(network.gradients)
        network.zeroGradients()
        network.backward(Tensor(shape: [2, 2], values: [1, -1, 0.5, 2]))
        XCTAssertEqual(Array(network.gradients), observed, "reporting must not change the gradients")
    }

    /// Each rank runs the real ResNet-18 (SyncBatchNorm over the group) on its own images, then the
    /// same backward twice: summed by one blocking allreduce, and by buckets started during backward.
    func testOverlappedSumEqualsTheBlockingSumBitwise() throws {
        for ranks in [2, 4] {
            let results = try LoopbackGroup(size: ranks).run { comm -> (blocking: [Float], overlapped: [Float], early: Int, buckets: Int) in
                let model = ClassicResNet18(seed: 7, stem: .highResolution, context: NNContext(group: comm))
                var rng = SeededRNG(seed: 100 + UInt64(comm.rank))
                let x = Tensor(shape: [2, 3, 8, 8], values: (0..<(2 * 3 * 8 * 8)).map { _ in Float(rng.normal()) })
                let labels = [comm.rank % 2, 1 - comm.rank % 2]
                func gradLogits() -> Tensor {
                    SoftmaxCrossEntropy.compute(logits: model.forward(x, training: true), labels: labels).gradLogits
                }
                let network = model.network
                network.zeroGradients()
                model.backward(gradLogits())
                comm.allreduceSum(network.gradients)
                let blocking = Array(network.gradients)
                let buckets = GradientBuckets(network: network, communicator: comm, bucketFloats: 1 << 18)
                network.zeroGradients()
                buckets.backwardAndSum(model, gradLogits())
                return (blocking, Array(network.gradients), buckets.startedDuringBackward, buckets.buckets.count)
            }
            for (r, got) in results.enumerated() {
                XCTAssertEqual(got.blocking.count, got.overlapped.count)
                let differing = zip(got.blocking, got.overlapped).filter { $0.0.bitPattern != $0.1.bitPattern }.count
                XCTAssertEqual(differing, 0, "\(ranks) ranks, rank \(r): \(differing) gradients differ from the blocking sum")
                XCTAssertEqual(got.overlapped, results[0].overlapped, "rank \(r) disagrees with rank 0")
                // The root Sequential reports conv1 too, so every bucket starts inside the backward pass.
                XCTAssertEqual(got.early, got.buckets, "\(ranks) ranks, rank \(r): buckets started during backward")
                XCTAssertGreaterThan(got.buckets, 8, "256 Ki-float buckets should cut ResNet-18 into about a dozen")
            }
            XCTAssertGreaterThan(results[0].blocking.map { abs($0) }.max()!, 0, "the gradients should not all be zero")
        }
    }

    func testLoopbackNonblockingSumsCompleteAroundBlockingCollectives() throws {
        let results = try LoopbackGroup(size: 3).run { comm -> [[Float]] in
            let r = Float(comm.rank)
            var a: [Float] = [r, 1, 2], b: [Float] = [10 * r, -r]
            return a.withUnsafeMutableBufferPointer { pa in
                b.withUnsafeMutableBufferPointer { pb in
                    let first = comm.startAllreduceSum(pa)
                    var blocking: [Float] = [r]
                    comm.allreduceSum(&blocking)   // a blocking collective while a sum is in flight
                    let second = comm.startAllreduceSum(pb)
                    second.wait()
                    first.wait()
                    XCTAssertTrue(first.test())
                    return [Array(pa), Array(pb), blocking]
                }
            }
        }
        for (r, got) in results.enumerated() {
            XCTAssertEqual(got, [[3, 3, 6], [30, -3], [3]], "rank \(r)")
        }
    }
}
