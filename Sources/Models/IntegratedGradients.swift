// IntegratedGradients: pixel attributions of the fake log-odds (Sundararajan et al. 2017), the
// `deepfake explain --method integrated-gradients` alternative to Grad-CAM.
//
// IG_i(x) = (x_i - b_i) * mean over alpha of ds/dx_i (b + alpha (x - b)), alpha at the midpoints
// (k + 0.5) / steps; by completeness the attributions of an image sum to s(x) - s(b). The baseline b
// is 0 in the normalised input, i.e. the ImageNet mean colour everywhere. It needs the gradient with
// respect to the input image, which the models normally skip (conv1 has nothing upstream): it is
// switched on for the call and restored. The QNN's fixed or cached quanvolution has no input
// gradient at all (its circuit is not differentiated), so integrated gradients refuse it; Grad-CAM,
// taken behind the quanvolution, works there.

import Core
import NN

public enum IntegratedGradients {
    /// Attributions [N, C, H, W] of each image's fake log-odds for `images` [N, C, H, W]
    /// (normalised as for evaluation; eval mode), against the all-zero baseline, with `steps`
    /// midpoint-rule points; and the scores s(x) and s(baseline) completeness compares with.
    public static func attributions(_ network: Network, images x: Tensor, steps: Int = 32) throws
        -> (attributions: Tensor, scores: [Float], baselineScores: [Float]) {
        precondition(steps >= 1 && x.shape.count == 4)
        let children = try GradCAM.children(of: network)
        guard let first = children.first?.layer else { throw DeepfakeError("integrated gradients: the model has no layers") }
        if let q = first as? QuanvLayer, q.mode != .trainable {
            throw DeepfakeError("integrated gradients need the input gradient, and this QNN's quanvolution (\(q.mode.rawValue) circuit) "
                + "has none: use Grad-CAM (the default method), which explains the layers behind it")
        }
        if let t = first as? PatchTwinLayer, !t.trainable {
            throw DeepfakeError("integrated gradients need the input gradient, and this QNN twin's fixed patch layer has none: "
                + "use Grad-CAM (the default method)")
        }
        let conv = first as? Conv2d, saved = conv?.computeInputGradient
        conv?.computeInputGradient = true
        defer { if let conv, let saved { conv.computeInputGradient = saved } }

        let n = x.shape[0]
        func score(_ logits: Tensor) -> [Float] { (0..<n).map { logits[$0 * 2 + 1] - logits[$0 * 2] } }
        let scores = score(network.forward(x, training: false))
        let point = Tensor(zeros: x.shape)
        let baselineScores = score(network.forward(point, training: false))
        let dLogits = Tensor(zeros: [n, 2])
        for i in 0..<n { dLogits[i * 2] = -1; dLogits[i * 2 + 1] = 1 }
        let sum = Tensor(zeros: x.shape)
        for k in 0..<steps {
            let alpha = (Float(k) + 0.5) / Float(steps)
            for i in 0..<x.count { point[i] = alpha * x[i] }
            _ = network.forward(point, training: false)
            let g = network.backward(dLogits)
            for i in 0..<x.count { sum[i] += g[i] }
        }
        network.zeroGradients()
        for i in 0..<x.count { sum[i] = x[i] * sum[i] / Float(steps) }
        return (sum, scores, baselineScores)
    }

    /// Per image, the positive part of the channel-summed attributions [H * W] (the pixels whose
    /// evidence raises p_fake, as Grad-CAM's ReLU keeps).
    public static func maps(_ attributions: Tensor) -> [[Float]] {
        let n = attributions.shape[0], c = attributions.shape[1], plane = attributions.shape[2] * attributions.shape[3]
        return (0..<n).map { img in
            (0..<plane).map { p in
                var s: Float = 0
                for ch in 0..<c { s += attributions[(img * c + ch) * plane + p] }
                return Swift.max(0, s)
            }
        }
    }
}
