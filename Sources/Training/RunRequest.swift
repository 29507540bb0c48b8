// RunRequest: what the user asked a training run for on the command line (which config, offline,
// re-sort, infer, resume, job record), handed to TrainingSession by the application.

/// What the user asked for on the command line.
public struct RunRequest: Sendable {
    public var configPath: String
    public var offline: Bool
    public var resort: Bool
    /// `-i WEIGHTS`: test these weights instead of training.
    public var inferWeights: String?
    /// `--resume RUN_FOLDER`: continue that run from its last.h5 with its own config.yaml
    /// (`configPath`, when not empty, must agree with it in everything but paths).
    public var resumeFolder: String?
    /// `--job-record FILE`: write the run folder's path there (slurm/train.sh's record per job id).
    public var jobRecord: String?

    public init(configPath: String, offline: Bool = false, resort: Bool = false, inferWeights: String? = nil,
                resumeFolder: String? = nil, jobRecord: String? = nil) {
        self.configPath = configPath; self.offline = offline; self.resort = resort
        self.inferWeights = inferWeights; self.resumeFolder = resumeFolder; self.jobRecord = jobRecord
    }
}
