// Thin wrappers over OpenBLAS: row-major sgemm and the thread count shared with `Parallel`.

import CBLAS
import Core

public enum Compute {
    /// Sets the worker threads of our own loops (`Parallel.threads`) and of OpenBLAS together.
    public static func setThreads(_ n: Int) {
        let t = Swift.max(1, n)
        Parallel.threads = t
        openblas_set_num_threads(Int32(t))
    }
}

/// C[m,n] = alpha * op(A) * op(B) + beta * C, all row-major with leading dimensions lda/ldb/ldc.
@inline(__always)
func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
           a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
