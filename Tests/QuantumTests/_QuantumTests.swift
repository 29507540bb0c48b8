// QuantumTests: tests beside the capability.
