// The Classic model: ResNet-18 with torchvision's exact architecture and parameter names.
//
// conv1 7x7/2 pad 3 -> bn1 -> relu -> maxpool 3x3/2 pad 1 -> layer1..layer4 (two BasicBlocks each,
// 64/128/256/512 channels, stride 2 from layer2 on) -> global average pool -> fc -> logits.
// torchvision's separate `relu` module is fused into bn1 here; it has no parameters, so the
// state_dict names are unchanged. Inputs from 32x32 (layer4 is then 1x1) up to 224x224 and
// beyond; 1 (greyscale) or 3 input channels.
//
// Small images get a high-resolution stem (conv1 with stride 1): torchvision's stride-2 conv1 and
// max-pool shrink a 32x32 image to 8x8 before the first residual block, which aliases away the
// pixel-scale traces image generators leave (periodic upsampling patterns) and is known to hurt
// small-image ResNets. Only a stride changes, so the parameters and their names stay
// torchvision's and torchvision weights load either way.

import Core
import NN

/// How the first convolution downsamples.
public enum ResNetStem: String, Sendable {
    /// conv1 7x7 stride 2, then max-pool 3x3/2: torchvision's ResNet-18 (4x smaller before layer1).
    case torchvision
    /// conv1 7x7 stride 1, then max-pool 3x3/2 (2x smaller before layer1): keeps pixel-scale detail.
    case highResolution

    /// The stem for an input size: high-resolution when the shorter side is at most 64 pixels.
    public static func forImage(height: Int, width: Int) -> ResNetStem {
        Swift.min(height, width) <= 64 ? .highResolution : .torchvision
    }

    var conv1Stride: Int { self == .torchvision ? 2 : 1 }
}

public final class ClassicResNet18: ClassifierModel {
    public let name = "Classic"
    public let numChannels: Int
    public let numClasses: Int
    public let stem: ResNetStem
    public let network: Network

    /// A freshly initialised network, as torchvision's `resnet18(num_classes:)`: conv weights
    /// Kaiming-normal (fan_out, ReLU gain), BatchNorm weight 1 and bias 0, fc PyTorch's default.
    /// `context`: the threads, data-parallel group (SyncBatchNorm) and conv settings it runs with.
    public init(numChannels: Int = 3, numClasses: Int = 2, seed: UInt64 = 0, stem: ResNetStem = .torchvision,
                context: NNContext = .serial) {
        precondition(numChannels >= 1 && numClasses >= 1)
        self.numChannels = numChannels
        self.numClasses = numClasses
        self.stem = stem
        network = Network(ClassicResNet18.layers(numChannels: numChannels, numClasses: numClasses, stem: stem), seed: seed,
                          context: context)
    }

    static func layers(numChannels: Int, numClasses: Int, stem: ResNetStem = .torchvision) -> Sequential {
        let conv1 = Conv2d(numChannels, 64, kernel: 7, stride: stem.conv1Stride, padding: 3, bias: false, weightInit: .kaimingNormalFanOut)
        conv1.computeInputGradient = false  // nothing upstream of the image
        func stage(_ inC: Int, _ outC: Int, stride: Int) -> Sequential {
            Sequential([BasicBlock(inC, outC, stride: stride), BasicBlock(outC, outC)])
        }
        return Sequential([
            ("conv1", conv1),
            ("bn1", BatchNorm(64, fusedReLU: true)),
            ("maxpool", MaxPool2d(kernel: 3, stride: 2, padding: 1)),
            ("layer1", stage(64, 64, stride: 1)),
            ("layer2", stage(64, 128, stride: 2)),
            ("layer3", stage(128, 256, stride: 2)),
            ("layer4", stage(256, 512, stride: 2)),
            ("avgpool", GlobalAvgPool()),
            ("fc", Linear(512, numClasses)),
        ])
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == numChannels,
                     "Classic ResNet-18 expects [N, \(numChannels), H, W] images, got \(x.shape)")
        return network.forward(x, training: training)
    }

    /// Eval mode with every BatchNorm folded into its convolution (NN.FoldedInference): the same
    /// logits as `forward(x, training: false)` up to float rounding, in one pass per convolution.
    public func makeInference() -> (Tensor) -> Tensor {
        let plan = FoldedInference(network)
        let channels = numChannels
        return { x in
            precondition(x.shape.count == 4 && x.shape[1] == channels,
                         "Classic ResNet-18 expects [N, \(channels), H, W] images, got \(x.shape)")
            return plan.forward(x)
        }
    }

    public var summary: String {
        """
        Classic: ResNet-18 (torchvision layout), \(numChannels) input channel\(numChannels == 1 ? "" : "s"), \(numClasses) classes
          conv1 7x7/\(stem.conv1Stride) (\(stem.rawValue) stem) -> bn1+relu -> maxpool 3x3/2 -> layer1..4 (2 BasicBlocks each; 64/128/256/512) -> avgpool -> fc
          \(groupedThousands(network.parameterCount)) trainable parameters, \(groupedThousands(network.stateCount)) BatchNorm running-statistic values
        """
    }
}
