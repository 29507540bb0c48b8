// Training throughput of the Classic model (forward + backward + Adam step) for the bench tool
// (moved here from the Models target with the other benchmark drivers).

import Core
import Models
import NN

/// Images per second of ResNet-18 training steps on random data: batch `batch` of
/// `imageSize` x `imageSize` RGB images, `threads` worker threads (our loops and OpenBLAS).
/// One untimed warm-up step first (it allocates the activation and workspace buffers).
/// Call `Compute.reexecWithTunedOpenBLASIfNeeded()` at the start of the executable: on CPUs that
/// Debian's OpenBLAS does not recognise it otherwise runs generic SSE3 GEMM kernels (3-4x slower).
/// Peer: benchmarks/torch_resnet_throughput.py does the same work in PyTorch.
/// `stem` defaults to the one the Classic model trains with at this size (`ResNetStem.forImage`).
public func measureClassicTrainingThroughput(imageSize: Int, batch: Int, steps: Int, threads: Int,
                                             numChannels: Int = 3, seed: UInt64 = 1, stem: ResNetStem? = nil,
                                             conv: ConvSettings = .standard) -> Double {
    precondition(steps >= 1 && batch >= 2, "need at least one step and a batch of 2 (BatchNorm)")
    let (model, x) = throughputSetup(imageSize: imageSize, batch: batch, threads: threads,
                                     numChannels: numChannels, seed: seed, stem: stem, conv: conv)
    let labels = (0..<batch).map { $0 % 2 }
    let opt = Adam(learningRate: 2e-4, beta1: 0.5)
    func step() {
        model.network.zeroGradients()
        let logits = model.forward(x, training: true)
        let (_, grad, _) = SoftmaxCrossEntropy.compute(logits: logits, labels: labels)
        model.backward(grad)
        opt.step(model.network)
    }
    step()
    let seconds = WallClock.time { for _ in 0..<steps { step() } }
    return Double(batch * steps) / seconds
}

/// Images per second of eval-mode forward passes of ResNet-18 through the model's inference path
/// (`makeInference`: BatchNorm folded into the convolutions, no gradients), on the same random
/// batch as the training measurement; one untimed warm-up forward first.
/// Peer: benchmarks/torch_resnet_throughput.py --mode eval (model.eval(), torch.inference_mode()).
public func measureClassicInferenceThroughput(imageSize: Int, batch: Int, steps: Int, threads: Int,
                                              numChannels: Int = 3, seed: UInt64 = 1, stem: ResNetStem? = nil,
                                              conv: ConvSettings = .standard) -> Double {
    precondition(steps >= 1 && batch >= 1, "need at least one step and one image")
    let (model, x) = throughputSetup(imageSize: imageSize, batch: batch, threads: threads,
                                     numChannels: numChannels, seed: seed, stem: stem, conv: conv)
    let infer = model.makeInference()
    _ = infer(x)
    let seconds = WallClock.time { for _ in 0..<steps { _ = infer(x) } }
    return Double(batch * steps) / seconds
}

/// The model and random batch both throughput measurements use: the threads set, ResNet-18 with
/// the stem it trains with at this size (or `stem`), the convolution settings `conv` (an A/B of an
/// engine choice), and a seeded normal batch.
func throughputSetup(imageSize: Int, batch: Int, threads: Int, numChannels: Int, seed: UInt64,
                     stem: ResNetStem?, conv: ConvSettings = .standard) -> (ClassicResNet18, Tensor) {
    Compute.setThreads(threads)
    let model = ClassicResNet18(numChannels: numChannels, numClasses: 2, seed: seed,
                                stem: stem ?? .forImage(height: imageSize, width: imageSize),
                                context: NNContext(threads: Threads(threads), conv: conv))
    var rng = SeededRNG(seed: seed, stream: "throughput")
    let x = Tensor(zeros: [batch, numChannels, imageSize, imageSize])
    for i in 0..<x.count { x[i] = Float(rng.normal()) }
    return (model, x)
}
