// GradCAM: class-activation maps of a trained model (Selvaraju et al. 2017), for `deepfake explain`.
//
// The score explained is the fake log-odds s = z_fake - z_real = log(p_fake / p_real) of the two
// logits: it is monotone in p_fake, and unlike z_fake alone it does not move when both logits
// shift together. With A [N, K, h, w] the output of the last convolutional stage (the last one
// with maps of at least 4x4, see defaultLayer) and
// G = ds/dA, the map of image n is ReLU(sum_k alpha_k A_k) with alpha_k = mean_(i,j) G_k(i, j),
// then bilinearly upsampled to the image.
//
// Why split the model's Sequential at a named child instead of hooking layers: every model here
// (Classic, HQNN and its twin, QNN and its twin) is one Sequential whose last convolutional stage
// is a named child ("layer4", or "layer3" for QNN) followed by a head. Running the children up to
// it gives A; running the rest (for the HQNN: fc, BatchNorm, tanh, the quantum circuits with their
// own adjoint / parameter-shift backward, BatchNorm, head) gives the logits; that suffix's
// backward gives G. Nothing upstream of A is differentiated, so the QNN's quanvolution (fixed or
// cached: it has no input gradient) is no obstacle. Evaluation mode throughout: BatchNorm uses its
// running statistics, so each image's score depends on that image alone and one backward of the
// summed scores gives every image's own gradient.

import Core
import Foundation
import NN

public enum GradCAM {
    /// The child of the model's Sequential whose output Grad-CAM explains by default: the deepest
    /// stage (layerN) before the global average pool whose maps are at least `minimumSide` x `minimumSide`
    /// for `height` x `width` inputs, else the last stage before the pool. Why not always the last
    /// one: at the 32 px our configs default to, layer4 is 2x2, and on the localisation test
    /// (ExplainLocalisationTests: a trace in one quadrant) its maps put 31 % of their mass in the
    /// trace's quadrant (chance 25 %) against 52 % for layer3's 4x4 maps and 82 % for layer2's
    /// 8x8; from 64 px on layer4 itself is 4x4.
    public static func defaultLayer(of network: Network, height: Int, width: Int, channels: Int,
                                    minimumSide: Int = 4) throws -> String {
        let all = try children(of: network)
        guard let pool = all.firstIndex(where: { $0.name == "avgpool" }), pool > 0 else {
            throw DeepfakeError("this model has no 'avgpool' child after a convolutional stage (children: \(all.map(\.name))); "
                + "name the feature layer explicitly")
        }
        // Candidates: the residual stages (layer1, layer2, ...) when the model names them so, so
        // a tiny input never picks the stem's BatchNorm or max-pool.
        let stages = Set(all[..<pool].map(\.name).filter { $0.hasPrefix("layer") })
        var x = Tensor(zeros: [1, channels, height, width])
        var chosen = all[pool - 1].name
        for c in all[..<pool] {
            x = c.layer.forward(x, training: false)
            if (stages.isEmpty || stages.contains(c.name)) && x.shape.count == 4
                && Swift.min(x.shape[2], x.shape[3]) >= minimumSide { chosen = c.name }
        }
        return chosen
    }

    /// Feature maps, their gradient and the scores of one batch.
    public struct FeatureGradient {
        /// A: [N, K, h, w] (a copy; the layers' own buffers are reused by the next forward).
        public let features: Tensor
        /// dS/dA: [N, K, h, w], S = sum over the batch of each image's fake log-odds.
        public let gradient: Tensor
        /// Logits [N, 2] (a copy).
        public let logits: Tensor
        /// Fake log-odds z_1 - z_0 per image.
        public var scores: [Float] { (0..<logits.shape[0]).map { logits[$0 * 2 + 1] - logits[$0 * 2] } }
        /// p_fake = softmax(z)_1 per image.
        public var pFake: [Double] { scores.map { 1 / (1 + Foundation.exp(-Double($0))) } }
    }

    /// Runs `images` [N, C, H, W] (normalised as for evaluation) through the network, in eval
    /// mode, and returns A = output of child `layer`, dS/dA and the logits. Parameter gradients the
    /// suffix's backward accumulates are cleared again.
    public static func featureGradient(_ network: Network, images: Tensor, layer: String) throws -> FeatureGradient {
        let (prefix, suffix) = try split(network, at: layer)
        var x = images
        for c in prefix { x = c.forward(x, training: false) }
        let features = x.copy()
        precondition(features.shape.count == 4, "Grad-CAM layer '\(layer)' must output [N, K, h, w], got \(features.shape)")
        let logits = forward(suffix, features).copy()
        guard logits.shape.count == 2 && logits.shape[1] == 2 else {
            throw DeepfakeError("Grad-CAM explains two-class (real, fake) logits; this model gives \(logits.shape)")
        }
        let n = logits.shape[0]
        let dLogits = Tensor(zeros: [n, 2])
        for i in 0..<n { dLogits[i * 2] = -1; dLogits[i * 2 + 1] = 1 }
        var g = dLogits
        for c in suffix.reversed() { g = c.backward(g) }
        let gradient = g.copy()
        network.zeroGradients()
        return FeatureGradient(features: features, gradient: gradient, logits: logits)
    }

    /// The fake log-odds of each image when the model's `layer` output is replaced by `features`
    /// (eval mode): what `featureGradient`'s gradient differentiates (finite-difference tests).
    public static func scores(_ network: Network, features: Tensor, layer: String) throws -> [Float] {
        let logits = forward(try split(network, at: layer).suffix, features)
        return (0..<logits.shape[0]).map { logits[$0 * 2 + 1] - logits[$0 * 2] }
    }

    /// Grad-CAM maps [N][h * w] (row-major, >= 0, not normalised) from A and dS/dA.
    public static func maps(features a: Tensor, gradient g: Tensor) -> [[Float]] {
        precondition(a.shape == g.shape && a.shape.count == 4, "Grad-CAM needs A and dS/dA of one [N, K, h, w] shape")
        let n = a.shape[0], k = a.shape[1], plane = a.shape[2] * a.shape[3]
        return (0..<n).map { img in
            var cam = [Float](repeating: 0, count: plane)
            for ch in 0..<k {
                let base = (img * k + ch) * plane
                var alpha: Float = 0
                for p in 0..<plane { alpha += g[base + p] }
                alpha /= Float(plane)
                for p in 0..<plane { cam[p] += alpha * a[base + p] }
            }
            return cam.map { Swift.max(0, $0) }
        }
    }

    /// Bilinear upsampling of an h x w map to height x width with half-pixel centres (PyTorch's
    /// interpolate(align_corners=False), OpenCV's resize), edges clamped.
    public static func upsample(_ map: [Float], height h: Int, width w: Int, toHeight H: Int, toWidth W: Int) -> [Float] {
        precondition(map.count == h * w && h >= 1 && w >= 1)
        var out = [Float](repeating: 0, count: H * W)
        func source(_ i: Int, _ n: Int, _ N: Int) -> (Int, Int, Float) {
            let s = Swift.min(Swift.max((Float(i) + 0.5) * Float(n) / Float(N) - 0.5, 0), Float(n - 1))
            let lo = Int(s)
            return (lo, Swift.min(lo + 1, n - 1), s - Float(lo))
        }
        for y in 0..<H {
            let (y0, y1, fy) = source(y, h, H)
            for x in 0..<W {
                let (x0, x1, fx) = source(x, w, W)
                let top = map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx
                let bottom = map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx
                out[y * W + x] = top * (1 - fy) + bottom * fy
            }
        }
        return out
    }

    static func children(of network: Network) throws -> [(name: String, layer: Layer)] {
        guard let seq = network.root as? Sequential else {
            throw DeepfakeError("Grad-CAM needs a model built as one Sequential of named layers")
        }
        return seq.children
    }

    static func split(_ network: Network, at layer: String) throws -> (prefix: [Layer], suffix: [Layer]) {
        let all = try children(of: network)
        guard let i = all.firstIndex(where: { $0.name == layer }), i + 1 < all.count else {
            throw DeepfakeError("no feature layer '\(layer)' with layers after it in this model; its layers are "
                + all.map(\.name).joined(separator: ", "))
        }
        return (all[...i].map(\.layer), all[(i + 1)...].map(\.layer))
    }

    static func forward(_ layers: [Layer], _ x: Tensor) -> Tensor {
        var y = x
        for c in layers { y = c.forward(y, training: false) }
        return y
    }
}