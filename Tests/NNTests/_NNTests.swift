// NNTests: tests beside the capability.
