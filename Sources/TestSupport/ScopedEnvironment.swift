// ScopedEnvironment: a test sets process environment variables for one block and gets the previous
// values back afterwards, set or unset as they were (a test that leaves KAGGLEHUB_CACHE changed
// changes what every later test in the process downloads or reads).

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum ScopedEnvironment {
    /// Runs `body` with each variable of `values` set (nil = unset), then restores every one of them.
    public static func with<T>(_ values: [String: String?], _ body: () throws -> T) rethrows -> T {
        let saved = save(Array(values.keys))
        defer { restore(saved) }
        for (name, value) in values { assign(name, value) }
        return try body()
    }

    /// The current values (nil = unset) of `names`, for a later `restore`.
    public static func save(_ names: [String]) -> [String: String?] {
        var saved: [String: String?] = [:]
        for name in names { saved[name] = getenv(name).map { String(cString: $0) } }
        return saved
    }

    /// Puts back what `save` returned.
    public static func restore(_ saved: [String: String?]) {
        for (name, value) in saved { assign(name, value) }
    }

    static func assign(_ name: String, _ value: String?) {
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
    }
}
