// DatasetsTests: tests beside the capability.
