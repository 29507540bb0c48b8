// How `bench` starts its multi-rank child measurements: inside a Slurm allocation (SLURM_JOB_ID
// set) with `srun --mpi=pmix -n R` (nodes and CPUs from the allocation), otherwise with
// `mpirun -np R`. Open MPI binds every rank to one core by default, which would silently run a
// multi-threaded rank on a single core: the local launch passes `--bind-to none` (the kernel
// places the threads), and the binding used is recorded with every result row, next to the CPU
// set each rank reports for itself (/proc/self/status Cpus_allowed_list).

import Core
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct Launcher: Sendable, Equatable {
    public enum Kind: String, Sendable { case srun, mpirun }

    public var kind: Kind
    /// The launcher program (`srun`, `mpirun`), looked up on PATH.
    public var program: String
    /// Logical CPUs of this node (for --oversubscribe when the ranks' threads exceed them).
    public var cores: Int
    /// Allowed to run as root (Open MPI refuses otherwise; containers and CI run as root).
    public var asRoot: Bool

    public init(kind: Kind, program: String? = nil, cores: Int = ProcessInfo.processInfo.activeProcessorCount,
                asRoot: Bool = getuid() == 0) {
        self.kind = kind; self.program = program ?? kind.rawValue; self.cores = cores; self.asRoot = asRoot
    }

    /// srun inside a Slurm allocation, else mpirun.
    public static func detect(environment: [String: String] = ProcessInfo.processInfo.environment) -> Launcher {
        Launcher(kind: (environment["SLURM_JOB_ID"] ?? "").isEmpty ? .mpirun : .srun)
    }

    /// The binding `arguments` ask for, as recorded in result rows.
    public func binding(threadsPerRank: Int) -> String {
        switch kind {
        case .srun: return "srun --cpus-per-task=\(threadsPerRank) (Slurm's task binding)"
        case .mpirun: return "mpirun --bind-to none"
        }
    }

    /// The full command line that starts `ranks` copies of `executable arguments`, each told to use
    /// `threadsPerRank` compute threads (OPENBLAS_NUM_THREADS in its environment as well).
    public func arguments(ranks: Int, threadsPerRank: Int, executable: String, _ arguments: [String]) -> [String] {
        switch kind {
        case .srun:
            return [program, "--mpi=pmix", "-n", "\(ranks)", "--cpus-per-task=\(threadsPerRank)",
                    "--export=ALL,OPENBLAS_NUM_THREADS=\(threadsPerRank)", executable] + arguments
        case .mpirun:
            var a = [program, "-np", "\(ranks)", "--bind-to", "none"]
            if ranks * threadsPerRank > cores || ranks > cores { a.append("--oversubscribe") }
            if asRoot { a.append("--allow-run-as-root") }
            a += ["-x", "OPENBLAS_NUM_THREADS=\(threadsPerRank)", "-x", "HDF5_USE_FILE_LOCKING=FALSE",
                  "-x", "SWIFT_BACKTRACE=enable=no"]
            return a + [executable] + arguments
        }
    }

    /// Runs the command and waits; throws with the exit status and the command when it fails.
    public func run(ranks: Int, threadsPerRank: Int, executable: String, _ args: [String],
                    log: (String) -> Void) throws {
        let argv = arguments(ranks: ranks, threadsPerRank: threadsPerRank, executable: executable, args)
        log("launch: " + argv.joined(separator: " "))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        var env = ProcessInfo.processInfo.environment
        env["HDF5_USE_FILE_LOCKING"] = "FALSE"
        env["SWIFT_BACKTRACE"] = "enable=no"
        p.environment = env
        do { try p.run() } catch {
            throw DeepfakeError("cannot start \(program): \(error.localizedDescription); install Open MPI (mpirun) or run inside a Slurm job")
        }
        p.waitUntilExit()
        guard p.terminationReason == .exit, p.terminationStatus == 0 else {
            throw DeepfakeError("\(argv.joined(separator: " ")) failed with status \(p.terminationStatus); its output is above")
        }
    }
}

/// What a child rank reports about where it ran.
public enum RankPlacement {
    /// `host:cpus` of this process, cpus from /proc/self/status (Linux), else the host alone.
    public static func current() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "?"
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let cpus = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
            .map { $0.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces) }
        return cpus.map { "\(host):\($0)" } ?? host
    }

    /// Distinct hosts of `host:cpus` placements.
    public static func nodes(_ placements: [String]) -> Int {
        Set(placements.map { $0.split(separator: ":").first.map(String.init) ?? $0 }).count
    }
}

/// One round of a multi-rank suite (ranks, sharded), the same for each: the spec as JSON in
/// `work`, a fresh output folder, `child SPEC OUT --threads T` launched on `ranks` ranks, then
/// every rank's `rank-<r>.json` report.
struct ChildRound {
    let launcher: Launcher
    let executable: String
    let work: String
    let threadsPerRank: Int

    func run<Spec: Encodable, Report: Decodable>(_ child: String, spec: Spec, round: Int, ranks: Int,
                                                 log: (String) -> Void) throws -> [Report] {
        let specPath = (work as NSString).appendingPathComponent("spec-\(round)-R\(ranks).json")
        try JSONEncoder().encode(spec).write(to: URL(fileURLWithPath: specPath))
        let outDir = (work as NSString).appendingPathComponent("out-\(round)-R\(ranks)")
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        try launcher.run(ranks: ranks, threadsPerRank: threadsPerRank, executable: executable,
                         [child, specPath, outDir, "--threads", "\(threadsPerRank)"], log: log)
        return try Self.readReports(outDir, ranks: ranks)
    }

    /// `rank-0.json` ... of `directory`, one per rank; a missing one says the launch ran fewer ranks.
    static func readReports<Report: Decodable>(_ directory: String, ranks: Int) throws -> [Report] {
        try (0..<ranks).map { r in
            let path = (directory as NSString).appendingPathComponent("rank-\(r).json")
            guard let data = FileManager.default.contents(atPath: path) else {
                throw DeepfakeError("rank \(r) wrote no \(path): the launch ran fewer ranks than asked (check the launcher's output above)")
            }
            return try JSONDecoder().decode(Report.self, from: data)
        }
    }
}
