// `bench classic`: Classic ResNet-18 training images/s per size, beside benchmarks/torch_resnet_throughput.py.

import ArgumentParser
import BenchSuite
import Foundation
import NN

struct ClassicCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classic",
        abstract: "Training images/s of the Classic ResNet-18 per size, beside benchmarks/torch_resnet_throughput.py (same stem rule).")

    @Option(help: "Comma-separated image sizes.")
    var sizes = IntList(argument: "32,64,128")!
    @Option var batch = 32
    @Option(help: "Timed steps per repeat (after one warm-up step).")
    var steps = 10
    @Option(help: "Timed repeats; the median is printed with the min-max.")
    var repeats = 5
    @Option(help: "Compute threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "conv1: auto is the Classic model's rule (stride 1 up to 64 px).")
    var stem: StemChoice = .auto
    @Flag(help: "Eval-mode forward passes through the inference path (BatchNorm folded) instead of training steps.")
    var inference = false
    @Option(help: "Training convolutions by Winograd from this many input channels (0: never; an engine A/B).")
    var winogradTrainingChannels = ConvSettings.standard.winogradTrainingMinChannels
    @Option(help: "Training Winograd convolutions keep their transformed input for backward up to this many floats (0: never; an engine A/B).")
    var winogradKeptInputFloats = ConvSettings.standard.winogradKeptInputFloats
    @Option(help: "Eval-mode convolutions by Winograd from this many input channels (0: never; an engine A/B).")
    var winogradInferenceChannels = ConvSettings.standard.winogradMinChannels
    @Flag(help: "Eval-mode Winograd by F(2x2, 3x3) only, not F(4x4, 3x3) where it takes fewer products (an engine A/B).")
    var winogradSmallTilesOnly = false

    func run() {
        var conv = ConvSettings.standard
        conv.winogradTraining = winogradTrainingChannels > 0
        conv.winogradTrainingMinChannels = max(1, winogradTrainingChannels)
        conv.winogradKeptInputFloats = max(0, winogradKeptInputFloats)
        conv.winogradInference = winogradInferenceChannels > 0
        conv.winogradMinChannels = max(1, winogradInferenceChannels)
        conv.winogradInferenceLargeTiles = !winogradSmallTilesOnly
        print("swift ResNet-18, OpenBLAS kernels \(Compute.openBLASCore), \(conv.engineDescription)")
        for size in sizes.values {
            let chosen = stem.stem(forImageSize: size)
            let runs = (0..<max(1, repeats)).map { _ in
                inference
                    ? measureClassicInferenceThroughput(imageSize: size, batch: batch, steps: steps, threads: threads, stem: chosen, conv: conv)
                    : measureClassicTrainingThroughput(imageSize: size, batch: batch, steps: steps, threads: threads, stem: chosen, conv: conv)
            }
            let s = Spread(runs)
            let stride = chosen == .torchvision ? 2 : 1
            print(String(format: "swift resnet18 %@%dx%d batch %d threads %d conv1 stride %d: %.1f img/s (median of %d, min %.1f, max %.1f)",
                         inference ? "eval " : "", size, size, batch, threads, stride, s.median, s.count, s.min, s.max))
        }
    }
}
