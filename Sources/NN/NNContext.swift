// NNContext: what the layers of one network compute with (worker threads, the data-parallel
// group BatchNorm synchronises over, convolution settings), handed to the `Network` when it is
// built and bound into every layer with its parameter storage.
//
// Why a value and not process-wide switches: two networks in one process (two in-process ranks,
// two tests, a model and its benchmark) each run with their own threads and their own group, and
// a layer can never see another network's setting.

import Core

/// Convolution engine choices (all give the same results up to float rounding of the input
/// gradient; they trade memory for speed, and tests compare them).
public struct ConvSettings: Sendable, Equatable {
    /// Upper bound (floats) on one chunk's column matrix; bounds workspace memory at large images.
    public var maxColumnElements: Int
    /// Keep a one-chunk column matrix from forward for backward (memory for speed). Off by
    /// default: every cached matrix is kh*kw times its convolution's input, and they are all alive
    /// at the end of forward (about 230 MiB of a 64 px batch-32 step, which put peak RSS at 1.38x
    /// PyTorch's), while recomputing them in backward is a few percent of the step's CPU time.
    public var cacheColumns: Bool
    /// For stride-1 convolutions, compute dX as a convolution of dY with the flipped kernel
    /// instead of a short-K GEMM + col2im.
    public var transposedInputGradient: Bool
    /// Eval-mode (`FoldedInference`) tiles: the floats of one worker's column block. Small enough
    /// that the im2col writes, OpenBLAS's packing reads and the fused output pass stay in a core's
    /// L2 cache (1 MiB on this project's EPYC VMs) instead of streaming a whole-batch matrix
    /// through memory.
    public var tileColumnFloats: Int
    /// The fewest GEMM columns of one tile: a single-threaded OpenBLAS call narrower than this
    /// spends too much in packing the weights; layers whose batch gives too few tiles this wide
    /// for every worker run as one batched, thread-split GEMM instead.
    public var minTileColumns: Int
    /// Eval-mode 3x3 stride-1 pad-1 convolutions by Winograd F(2x2, 3x3) (2.25x fewer
    /// multiply-adds; Winograd.swift) instead of im2col + GEMM.
    public var winogradInference: Bool
    /// Input channels below which eval-mode Winograd is not used. 64 (layer1 on): with the
    /// vectorised whole-plane transforms a 64 px eval forward ran 1.18x faster from 64 channels
    /// than from 128 (median of 3 interleaved runs, 2 threads); the first conv (3 channels) stays im2col.
    public var winogradMinChannels: Int
    /// Conv2d's own 3x3 stride-1 pad-1 forward and backward (training) by Winograd F(2x2, 3x3)
    /// (Winograd.swift) instead of im2col + GEMM, from `winogradTrainingMinChannels` input
    /// channels (64: 64 px training 41.9 img/s from 64 against 36.4 from 128 and 27.8 without).
    public var winogradTraining: Bool
    public var winogradTrainingMinChannels: Int
    /// A training Winograd convolution keeps its transformed input V = B^T d B from forward for
    /// backward (instead of transforming the input again there) when the whole batch's V is at
    /// most this many floats (0: never). V is 4x the layer's input, so keeping it everywhere would
    /// cost hundreds of MiB at 64 px with the Classic stem; the bound keeps it on the small planes
    /// (torchvision's stem at 64 px: every layer, 53 MiB in all; the Classic stem at 64 px: none),
    /// where the input transform is dominated by per-plane overhead (issue 14; benchmarks/README).
    public var winogradKeptInputFloats: Int
    /// Eval-mode Winograd by F(4x4, 3x3) on the planes where it takes fewer products than F(2x2)
    /// (`WinogradTile.forInference`: 3x3, 4x4, 7x7, 8x8 and every plane from 9x9 on; ties such as
    /// 6x6 and narrow planes such as 2x2 keep F(2x2)), else F(2x2) everywhere.
    public var winogradInferenceLargeTiles: Bool

    public init(maxColumnElements: Int = 1 << 24, cacheColumns: Bool = false, transposedInputGradient: Bool = true,
                tileColumnFloats: Int = 1 << 17, minTileColumns: Int = 256, winogradInference: Bool = true,
                winogradMinChannels: Int = 64, winogradTraining: Bool = true, winogradTrainingMinChannels: Int = 64,
                winogradKeptInputFloats: Int = 1 << 21, winogradInferenceLargeTiles: Bool = true) {
        precondition(maxColumnElements >= 1, "maxColumnElements must be positive")
        precondition(tileColumnFloats >= 1 && minTileColumns >= 1, "tileColumnFloats and minTileColumns must be positive")
        self.maxColumnElements = maxColumnElements
        self.cacheColumns = cacheColumns
        self.transposedInputGradient = transposedInputGradient
        self.tileColumnFloats = tileColumnFloats
        self.minTileColumns = minTileColumns
        self.winogradInference = winogradInference
        self.winogradMinChannels = winogradMinChannels
        self.winogradTraining = winogradTraining
        self.winogradTrainingMinChannels = winogradTrainingMinChannels
        self.winogradKeptInputFloats = winogradKeptInputFloats
        self.winogradInferenceLargeTiles = winogradInferenceLargeTiles
    }

    /// The settings training and benchmarks use.
    public static let standard = ConvSettings()

    /// Which engine runs the 3x3 stride-1 pad-1 convolutions, in training and in eval mode, for
    /// run logs, test_metrics.json and bench output: the engines round differently (1 vs 2 ranks
    /// agree to 7.9e-5 relative in loss with Winograd, 4.9e-6 with im2col), so a record names it.
    public var engineDescription: String {
        let engine = { (on: Bool, tiles: String, from: Int) in on ? "Winograd \(tiles) from \(from) input channels" : "im2col + GEMM" }
        let evalTiles = winogradInferenceLargeTiles ? "F(4x4,3x3) where it takes fewer products than F(2x2,3x3), else F(2x2,3x3)," : "F(2x2,3x3)"
        return "3x3 stride-1 convolutions: training " + engine(winogradTraining, "F(2x2,3x3)", winogradTrainingMinChannels)
            + ", eval " + engine(winogradInference, evalTiles, winogradMinChannels) + "; other convolutions im2col + GEMM"
    }
}

/// The compute context of one network.
public struct NNContext: Sendable {
    /// Worker threads of the layers' own loops and of the optimiser step.
    public var threads: Threads
    /// The data-parallel group for synchronised batch statistics (like PyTorch's SyncBatchNorm):
    /// in training, every BatchNorm sums its per-channel statistics over this group, so N ranks
    /// normalise exactly as one process on the global batch. nil (or a group of one) normalises
    /// over this process's batch only.
    public var group: (any Communicator)?
    public var conv: ConvSettings

    public init(threads: Threads = .serial, group: (any Communicator)? = nil, conv: ConvSettings = .standard) {
        self.threads = threads; self.group = group; self.conv = conv
    }

    /// One thread, no group, standard convolutions.
    public static let serial = NNContext()

    /// The group when it has more than one rank (what BatchNorm reduces over), else nil.
    var reductionGroup: (any Communicator)? {
        guard let group, group.size > 1 else { return nil }
        return group
    }
}
