// TrainingTests: tests beside the capability.
