// ImageIOTests: tests beside the capability.
