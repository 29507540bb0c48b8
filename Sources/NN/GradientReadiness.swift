// GradientReadiness: how a backward pass tells its caller that a sublayer's parameter gradients
// are final, so the data-parallel gradient sum of those parameters can start while the layers
// below are still computing (the Trainer's gradient buckets, as in PyTorch DDP).
//
// Containers (Sequential) report each child after its backward returns, by the child's
// parameter-name prefix ("layer4.1."): every parameter registered under that prefix has its
// final gradient then, because a child appears once in its container. Layers that do not report
// simply report nothing (their gradients are summed when the whole backward is done).

/// A handed-in observer of one backward pass, scoped to a parameter-name prefix.
public struct GradientReadiness {
    /// The prefix of the layer this value is handed to ("" at the network's root).
    public let prefix: String
    private let notify: ((String) -> Void)?

    /// Calls `notify(prefix)` with the full parameter-name prefix ("layer3.0.") of each finished child.
    public init(_ notify: @escaping (String) -> Void) { prefix = ""; self.notify = notify }

    private init(prefix: String, notify: ((String) -> Void)?) { self.prefix = prefix; self.notify = notify }

    /// Reports nothing: the plain backward pass.
    public static let none = GradientReadiness(prefix: "", notify: nil)

    /// The readiness to hand to child `name` (its parameters are named `prefix + name + "."...`).
    public func child(_ name: String) -> GradientReadiness {
        notify == nil ? self : GradientReadiness(prefix: prefix + name + ".", notify: notify)
    }

    /// Child `name`'s backward has returned: all its parameter gradients are final.
    public func finished(_ name: String) { notify?(prefix + name + ".") }
}
