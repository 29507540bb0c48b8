// Thin wrappers over OpenBLAS: row-major sgemm, OpenBLAS's thread count, and the choice of its
// CPU kernels.
//
// Why the kernel check: Debian 12's OpenBLAS 0.3.21 picks its kernels by CPU model and falls
// back to the SSE3 "Prescott" kernels on CPUs it does not know (seen on this project's Xeon VMs
// with AVX-512), which makes every GEMM several times slower. The choice is made when the library
// loads, so it can only be corrected by OPENBLAS_CORETYPE in the environment of a new process.

import CBLAS
import Core

#if canImport(Glibc)
import Glibc
#endif

public enum Compute {
    /// Prepares OpenBLAS for a process computing on `n` threads. OpenBLAS itself is kept
    /// single-threaded whatever `n` is: the NN layers split every GEMM over their own `Threads`
    /// (`threadedSgemm`), because OpenBLAS's worker pool busy-waits in sched_yield between calls
    /// and so takes a core from our own threaded loops (im2col, BatchNorm, ...) that run between
    /// the GEMMs: 21% of a 64 px training step's CPU time on 2 cores (benchmarks/README.md).
    /// The pool is one per process, so this stays a process-level call made by the executables.
    public static func setThreads(_ n: Int) {
        _ = n
        openblas_set_num_threads(1)
    }

    /// The kernel family OpenBLAS chose at load time, e.g. "SkylakeX", "Haswell", "Prescott".
    public static var openBLASCore: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// The OPENBLAS_CORETYPE this CPU should use when OpenBLAS fell back to a generic kernel
    /// although the CPU has AVX2 or AVX-512 (nil when the current choice is fine).
    public static func betterOpenBLASCoreType(cpuFlags: Set<String>? = nil, current: String? = nil) -> String? {
        let core = (current ?? openBLASCore).lowercased()
        let generic = ["prescott", "core2", "nehalem", "atom", "unknown", "katmai", "northwood", "banias"]
        guard generic.contains(core) else { return nil }
        let flags = cpuFlags ?? readCPUFlags()
        if flags.contains("avx512f") && flags.contains("avx512vl") { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// Executables call this first thing (before MPI_Init, before any threads): when OpenBLAS
    /// picked generic kernels on an AVX2/AVX-512 CPU and OPENBLAS_CORETYPE is unset, it sets
    /// OPENBLAS_CORETYPE and re-executes the same program with the same arguments, so the
    /// library loads with the right kernels. Returns (does nothing) otherwise or if exec fails.
    public static func reexecWithTunedOpenBLASIfNeeded() {
        #if os(Linux)
        guard getenv("OPENBLAS_CORETYPE") == nil, let core = betterOpenBLASCoreType() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        let args = CommandLine.arguments
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cargs.append(nil)
        execv("/proc/self/exe", &cargs)
        // Only reached if exec failed: carry on with the slow kernels.
        for p in cargs { free(p) }
        #endif
    }

    private static func readCPUFlags() -> Set<String> {
        #if os(Linux)
        guard let f = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(f) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var cap = 0
        defer { free(line) }
        while getline(&line, &cap, f) > 0 {
            let s = String(cString: line!)
            if s.hasPrefix("flags") {
                let parts = s.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { return [] }
                return Set(parts[1].split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
            }
        }
        #endif
        return []
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

/// `sgemm` with the output split over `threads`: by columns (blocks of B's columns, or of B's rows
/// when B is transposed) when C is wider than tall, else by rows (of A, or A's columns when A is
/// transposed); each block is an independent single-threaded OpenBLAS call on a worker of
/// `threads`, so no OpenBLAS thread pool waits between calls. Blocks are multiples of 16
/// columns or 8 rows (the micro-kernel's tile), and a GEMM too small to share runs inline.
func threadedSgemm(_ threads: Threads, transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                   a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                   beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let workers = threads.count
    guard workers > 1, m * n * k >= 1 << 18 else {
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    }
    if n >= m {
        let tiles = (n + 15) / 16
        threads.forChunks(tiles) { lo, hi in
            let n0 = lo * 16, n1 = Swift.min(n, hi * 16)
            let bp = transB ? b + n0 * ldb : b + n0
            sgemm(transA: transA, transB: transB, m: m, n: n1 - n0, k: k, a: a, lda: lda, b: bp, ldb: ldb,
                  beta: beta, c: c + n0, ldc: ldc)
        }
    } else {
        let tiles = (m + 7) / 8
        threads.forChunks(tiles) { lo, hi in
            let m0 = lo * 8, m1 = Swift.min(m, hi * 8)
            let ap = transA ? a + m0 : a + m0 * lda
            sgemm(transA: transA, transB: transB, m: m1 - m0, n: n, k: k, a: ap, lda: lda, b: b, ldb: ldb,
                  beta: beta, c: c + m0 * ldc, ldc: ldc)
        }
    }
}
