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
    /// OpenBLAS's worker threads: the C library has one pool per process, so this stays a
    /// process-level setting made by the executables. Our own kernels (NN, Quantum, Datasets) do
    /// not read it: they run on the `Threads` value they were constructed with.
    public static func setThreads(_ n: Int) {
        openblas_set_num_threads(Int32(Swift.max(1, n)))
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
