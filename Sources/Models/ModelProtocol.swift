// ClassifierModel: what training needs from every model (ClassicResNet18, HQNNModel, QNNModel).

import Core
import NN

/// A model mapping [N, C, H, W] images to [N, numClasses] logits, whose trainable parameters,
/// gradients and BatchNorm state live in one `Network`'s flat buffers (one allreduce per step,
/// one dataset per checkpoint).
public protocol ClassifierModel: AnyObject {
    /// Short model name for logs and reports, e.g. "Classic".
    var name: String { get }
    var numClasses: Int { get }
    var network: Network { get }
    /// Logits [N, numClasses] (raw, no softmax); the tensor is reused by the next call.
    func forward(_ x: Tensor, training: Bool) -> Tensor
    /// Accumulates parameter gradients from dLoss/dLogits [N, numClasses].
    func backward(_ dLogits: Tensor)
    /// `backward`, telling `readiness` when each layer's parameter gradients are final (the
    /// data-parallel gradient buckets start summing them then).
    func backward(_ dLogits: Tensor, readiness: GradientReadiness)
    /// A few human-readable lines: architecture, input, parameter counts.
    var summary: String { get }
    /// An eval-mode, forward-only function for the model's current weights (taken when this is
    /// called: make a new one after training changes them). Its result is reused by the next call.
    func makeInference() -> (Tensor) -> Tensor
}

extension ClassifierModel {
    public func forward(_ x: Tensor, training: Bool) -> Tensor { network.forward(x, training: training) }
    public func backward(_ dLogits: Tensor) { network.backward(dLogits) }
    public func backward(_ dLogits: Tensor, readiness: GradientReadiness) { network.backward(dLogits, readiness: readiness) }
    /// Default: the model's own forward in eval mode.
    public func makeInference() -> (Tensor) -> Tensor { { [self] x in forward(x, training: false) } }
}

/// 11177538 -> "11,177,538".
func groupedThousands(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, ch) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return out
}
