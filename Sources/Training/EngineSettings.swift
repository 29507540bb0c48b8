// EngineSettings: the one mapping from the config's training keys to the engine's values (NN's
// optimisers and learning-rate schedules, Datasets' augmentation policy), as plain switches over
// the Config enums. The quantum keys map in QuantumSettings.swift.

import Config
import Core
import Datasets
import NN

public enum EngineSettings {
    /// `optimizer`, `learningRate`, `beta1`, `momentum`, `weightDecay`.
    public static func optimizer(_ c: Config) -> Optimizer {
        let wd: WeightDecay = c.weightDecay > 0 ? .l2(Float(c.weightDecay)) : .none
        switch c.optimizer {
        case .adam: return Adam(learningRate: Float(c.learningRate), beta1: Float(c.beta1), weightDecay: wd)
        case .adamax: return Adamax(learningRate: Float(c.learningRate), beta1: Float(c.beta1), weightDecay: wd)
        case .sgd: return SGD(learningRate: Float(c.learningRate), momentum: Float(c.momentum), weightDecay: wd)
        }
    }

    /// The optimiser of a data-parallel run over `communicator`: `optimizer(c)`, sharded over the
    /// ranks (ShardedOptimizer) when `shardOptimizerState` is on and there is more than one rank.
    public static func dataParallelOptimizer(_ c: Config, parameterCount: Int, communicator: any Communicator) -> Optimizer {
        let plain = optimizer(c)
        guard c.shardOptimizerState && communicator.size > 1 else { return plain }
        return ShardedOptimizer(plain, parameterCount: parameterCount, communicator: communicator)
    }

    /// `lrSchedule`, `learningRate`, `warmupEpochs`, `numEpochs`, in optimiser steps.
    /// `stepsPerEpoch` must be the count of batches the trainer runs (`Trainer.stepsPerEpoch`): a
    /// smaller count ends the cosine early and leaves the last steps at rate 0.
    public static func learningRateSchedule(_ c: Config, stepsPerEpoch: Int) -> LearningRateSchedule {
        switch c.lrSchedule {
        case .constant: return .constant(Float(c.learningRate))
        case .cosine:
            return .cosine(base: Float(c.learningRate), warmupSteps: c.warmupEpochs * stepsPerEpoch,
                           totalSteps: max(1, c.numEpochs * stepsPerEpoch), minimum: 0)
        }
    }

    /// The largest rotation `rotate` draws, in degrees either way.
    static let maxRotationDegrees = 15.0

    /// `augment`: hflip -> horizontal flip with p = 0.5, vflip -> vertical flip with p = 0.5,
    /// rotate -> a small random rotation in [-15, 15] degrees (bilinear); blur, jpeg, crop,
    /// resample and colour -> that robustness op with its probability and range keys;
    /// self-blend -> self-blended fakes from real images with `selfBlendProbability`;
    /// blur-jpeg -> `RobustnessPolicy.wang2020`'s blur and JPEG, whatever those keys say.
    public static func augmentation(_ c: Config) -> AugmentationPolicy {
        var policy = AugmentationPolicy.none
        var r = RobustnessPolicy.none
        for a in c.augment {
            switch a {
            case .hflip: policy.horizontalFlip = 0.5
            case .vflip: policy.verticalFlip = 0.5
            case .rotate: policy.rotation = .small(maxDegrees: maxRotationDegrees)
            case .blur: r.blurProbability = c.blurProbability; r.blurSigmaMax = c.blurSigmaMax
            case .jpeg:
                r.jpegProbability = c.jpegProbability; r.jpegQualityMin = c.jpegQualityMin; r.jpegQualityMax = c.jpegQualityMax
            case .crop: r.cropProbability = c.cropProbability; r.cropScaleMin = c.cropScaleMin
            case .resample: r.resampleProbability = c.resampleProbability; r.resampleScaleMin = c.resampleScaleMin
            case .colour: r.colourProbability = c.colourProbability; r.colourJitter = c.colourJitter
            case .selfBlend: policy.selfBlend = SelfBlendPolicy(probability: c.selfBlendProbability)
            case .blurJPEG:
                let w = RobustnessPolicy.wang2020
                r.blurProbability = w.blurProbability; r.blurSigmaMax = w.blurSigmaMax
                r.jpegProbability = w.jpegProbability; r.jpegQualityMin = w.jpegQualityMin; r.jpegQualityMax = w.jpegQualityMax
            }
        }
        policy.robustness = r
        return policy
    }
}
