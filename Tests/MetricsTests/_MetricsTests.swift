// MetricsTests: tests beside the capability.
