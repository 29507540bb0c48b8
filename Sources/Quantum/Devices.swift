// The one simulator backend that runs every circuit here, named once for logs and result files
// (which config device names map onto it is Training's QuantumSettings' job).

public enum SimulatorBackend {
    public static let name = "swift-statevector (CPU, complex double, batched, fused gates)"
}
