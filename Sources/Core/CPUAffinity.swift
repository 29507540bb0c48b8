// The CPUs this process may run on, from the kernel's affinity mask (sched_getaffinity): the
// ground truth of what a launcher's binding did (mpirun binds each rank to ONE core by default,
// which silently serialises a multi-threaded rank), logged by the sharded benchmark.

import Foundation

public enum CPUAffinity {
    /// CPU ids in this process's affinity mask, as the kernel reports it in /proc/self/status
    /// (`Cpus_allowed_list`, the mask sched_getaffinity returns; Glibc's sched_getaffinity needs
    /// _GNU_SOURCE, which Swift's Glibc module does not define). Empty where there is no /proc.
    public static func allowedCPUs(status: String? = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) -> [Int] {
        guard let line = status?.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return [] }
        return parseList(String(line.dropFirst("Cpus_allowed_list:".count)))
    }

    /// "0-3,8,10-11" -> [0, 1, 2, 3, 8, 10, 11].
    public static func parseList(_ s: String) -> [Int] {
        s.split(separator: ",").flatMap { part -> [Int] in
            let ends = part.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            if ends.count == 2, ends[0] <= ends[1] { return Array(ends[0]...ends[1]) }
            return ends.count == 1 ? ends : []
        }
    }

    /// The launcher's binding policy as Open MPI / Slurm exported it, else "unset".
    public static func launcherBinding(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        for key in ["OMPI_MCA_hwloc_base_binding_policy", "SLURM_CPU_BIND"] {
            if let v = env[key], !v.isEmpty { return "\(key)=\(v)" }
        }
        return "unset"
    }
}
