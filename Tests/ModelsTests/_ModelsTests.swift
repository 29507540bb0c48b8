// ModelsTests: tests beside the capability.
