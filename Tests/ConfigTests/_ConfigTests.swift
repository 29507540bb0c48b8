// ConfigTests: tests beside the capability.
