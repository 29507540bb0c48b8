// Tensor: a shaped, contiguous Float32 buffer with reference semantics.
//
// Why a class over a raw pointer and not a copy-on-write struct: the engine passes activations
// and gradients between layers many times per step, and an accidental copy of a big buffer costs
// far more than the kernel itself. A Tensor is never copied unless `copy()` is called.
// Layout is row-major; image tensors are NCHW.

public final class Tensor: @unchecked Sendable {
    /// Dimensions, outermost first (NCHW for images, [N, F] for features).
    public private(set) var shape: [Int]
    /// Number of elements (product of `shape`).
    public private(set) var count: Int
    /// The storage; valid for `capacity` elements, of which `count` are in use.
    public private(set) var data: UnsafeMutablePointer<Float>
    private var capacity: Int

    /// A zero-filled tensor of the given shape.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.capacity = max(count, 1)
        self.data = .allocate(capacity: capacity)
        data.initialize(repeating: 0, count: capacity)
    }

    /// A tensor holding a copy of `values`.
    public convenience init(shape: [Int], values: [Float]) {
        self.init(zeros: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    /// A tensor with every element set to `value`.
    public convenience init(shape: [Int], repeating value: Float) {
        self.init(zeros: shape)
        data.update(repeating: value, count: count)
    }

    deinit { data.deallocate() }

    /// Changes the shape, keeping storage when it is large enough (contents are then unspecified
    /// unless the element count is unchanged). Used by layers to reuse activation buffers.
    public func resize(_ newShape: [Int]) {
        let n = newShape.reduce(1, *)
        if n > capacity {
            data.deallocate()
            capacity = n
            data = .allocate(capacity: n)
            data.initialize(repeating: 0, count: n)
        }
        shape = newShape
        count = n
    }

    /// Reinterprets the same elements under another shape with the same count.
    public func reshape(_ newShape: [Int]) {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        shape = newShape
    }

    /// A deep copy.
    public func copy() -> Tensor {
        let t = Tensor(zeros: shape)
        t.data.update(from: data, count: count)
        return t
    }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }
    public func zero() { fill(0) }

    public subscript(i: Int) -> Float {
        get { data[i] }
        set { data[i] = newValue }
    }

    /// The elements as an array (a copy; for tests and small outputs).
    public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: data, count: count) }

    /// Size of dimension `i`; negative indices count from the end.
    public func dim(_ i: Int) -> Int { shape[i < 0 ? shape.count + i : i] }

    /// Copies the elements of `other` (same count) into this tensor.
    public func assign(_ other: Tensor) {
        precondition(other.count == count, "assign: \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }
}
