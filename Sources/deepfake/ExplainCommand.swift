// `deepfake explain RUN [RUN2]`: Grad-CAM maps of a run's best checkpoint (see Training's
// Explanation), as a PNG grid and a CSV; two runs are shown side by side on the same images.

import ArgumentParser
import Core
import App
import Training

extension ExplanationMethod: ExpressibleByArgument {}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grad-CAM maps of a run's best.h5 on test images (real/fake, correct/wrong) as a PNG grid; two runs side by side.",
        discussion: "Reads the run's config.yaml, best.h5, split.json and data cache (never downloads, never trains). "
            + "Writes gradcam.png (or integrated-gradients.png; rows: image | heat map | overlay per run; frames: blue real, orange fake, green correct, "
            + "red wrong) and explanations.csv into RUN/explain (two runs: RUN/explain-vs-RUN2) or -o DIR; an existing "
            + "output folder is never overwritten.")

    @Argument(help: "A training run folder (holding config.yaml and best.h5), and optionally a second to compare.")
    var runs: [String]

    @Option(name: .customLong("images"), help: "How many test images to show.")
    var images = 8

    @Option(name: .shortAndLong, help: "Output folder (must not exist; default RUN/explain).")
    var output: String?

    @Option(name: .customLong("layer"), help: "The layer to explain (default: the last convolutional stage with maps of at least 4x4, e.g. layer3 at 32 px, layer4 from 64 px).")
    var layer: String?

    @Option(name: .customLong("method"), help: "gradcam, or integrated-gradients (pixel attributions; Classic and HQNN, not a fixed-circuit QNN).")
    var method: ExplanationMethod = .gradCAM

    @Option(name: .customLong("steps"), help: "Integrated gradients: points on the path from the baseline.")
    var steps = 32

    func validate() throws {
        guard (1...2).contains(runs.count) else { throw ValidationError("give one run folder, or two to show side by side") }
        guard images >= 1 else { throw ValidationError("--images must be at least 1") }
    }

    func run() throws {
        try runReportingErrors {
            try Explanation.run(ExplainRequest(runs: runs, images: images, output: output, layer: layer,
                                               method: method, steps: steps), log: RunLog())
        }
    }
}
