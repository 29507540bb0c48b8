// Softmax cross-entropy on logits, averaged over the batch.

import Core
import Foundation

public enum SoftmaxCrossEntropy {
    /// loss = mean_n [ logsumexp(z_n) - z_n[y_n] ], computed stably by subtracting each row's max.
    /// Softmax is applied once, here; the model outputs raw logits.
    /// - Parameters: logits [N, K]; labels N class indices in 0..<K.
    /// - Returns: the mean loss, dLoss/dLogits = (softmax - onehot) / N, and the softmax [N, K].
    public static func compute(logits: Tensor, labels: [Int]) -> (loss: Float, gradLogits: Tensor, probabilities: Tensor) {
        precondition(logits.shape.count == 2, "SoftmaxCrossEntropy expects logits [N, K], got \(logits.shape)")
        let n = logits.shape[0], k = logits.shape[1]
        precondition(labels.count == n, "SoftmaxCrossEntropy: \(labels.count) labels for \(n) rows")
        let probs = Tensor(zeros: [n, k]), grad = Tensor(zeros: [n, k])
        let z = logits.data, pp = probs.data, gp = grad.data
        var total = 0.0
        for r in 0..<n {
            let y = labels[r]
            precondition(y >= 0 && y < k, "label \(y) outside 0..<\(k)")
            var mx = -Double.infinity
            for j in 0..<k { mx = Swift.max(mx, Double(z[r * k + j])) }
            var s = 0.0
            for j in 0..<k { s += exp(Double(z[r * k + j]) - mx) }
            let lse = mx + log(s)
            total += lse - Double(z[r * k + y])
            for j in 0..<k {
                let p = exp(Double(z[r * k + j]) - lse)
                pp[r * k + j] = Float(p)
                gp[r * k + j] = Float((p - (j == y ? 1 : 0)) / Double(n))
            }
        }
        return (Float(total / Double(n)), grad, probs)
    }
}
