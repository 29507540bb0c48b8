// What the quantum layers measured of a training step: the circuit runs their executors counted
// during the first training step (a forward with training: true, then its backward), for the run
// records. Counted, not derived: a record states what ran.

import Quantum

/// Circuit runs of one training step of a layer, summed over its circuits.
public struct MeasuredStep: Sendable, Equatable {
    /// Images in the step's batch (on this rank).
    public var images: Int
    public var counters: CircuitCounters
    /// Exchanges and bytes this rank's sharded statevectors sent in the step (zero unsharded).
    public var traffic = StateTraffic()
    public init(images: Int, counters: CircuitCounters, traffic: StateTraffic = StateTraffic()) {
        self.images = images; self.counters = counters; self.traffic = traffic
    }
}

/// Snapshots a layer's counters at a training forward and takes the difference at the backward.
struct StepMeter {
    private(set) var first: MeasuredStep?
    private var start: (counters: CircuitCounters, images: Int, traffic: StateTraffic)?

    mutating func forward(training: Bool, images: Int, counters: CircuitCounters, traffic: StateTraffic = StateTraffic()) {
        if training && first == nil { start = (counters, images, traffic) }
    }

    mutating func backward(counters: CircuitCounters, traffic: StateTraffic = StateTraffic()) {
        guard first == nil, let s = start else { return }
        first = MeasuredStep(images: s.images, counters: counters - s.counters, traffic: traffic - s.traffic)
        start = nil
    }
}
