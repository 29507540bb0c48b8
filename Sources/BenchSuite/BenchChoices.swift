// The closed choices of `bench` flags, as enums (the executable makes them ExpressibleByArgument),
// so a typo is an error that lists the valid values instead of silently becoming a default.

import Models

/// A suite of `bench run`.
public enum BenchSuiteName: String, CaseIterable, Sendable {
    case training, throughput, preprocess, ranks, qubits, sharded, inference
    /// Seeds x models x datasets with statistics (ComparisonSuite); only when asked for by name.
    case comparison
}

/// A model of the training, ranks and inference suites.
public enum ModelChoice: String, CaseIterable, Sendable {
    case classic = "Classic", hqnn = "HQNN", qnn = "QNN"
}

/// Strong scaling keeps the global batch fixed as ranks grow; weak scaling keeps the per-rank batch.
public enum ScalingMode: String, CaseIterable, Sendable {
    case strong, weak
}

/// `bench classic --stem`: the Classic model's rule for the size, or a fixed conv1.
public enum StemChoice: String, CaseIterable, Sendable {
    case auto, torchvision, highres

    public func stem(forImageSize size: Int) -> ResNetStem {
        switch self {
        case .auto: return .forImage(height: size, width: size)
        case .torchvision: return .torchvision
        case .highres: return .highResolution
        }
    }
}

/// `bench quantum KIND`: the figures one quantum_*.py peer script reads.
public enum QuantumFigureKind: String, CaseIterable, Sendable {
    case hqnn, fwd, gate, quanv
    /// One StronglyEntangling layer on one large state: blocked vs gate by gate, forward and gradient.
    case layer
}

extension CaseIterable where Self: RawRepresentable, RawValue == String {
    /// "a, b, c": the valid values, for help and error text.
    public static var choiceList: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
