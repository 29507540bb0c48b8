// StorageTests: tests beside the capability.
