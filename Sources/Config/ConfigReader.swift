// ConfigReader: walks the YAML node tree once, fills a Config and collects problems instead of
// stopping at the first, so a user fixes a file in one pass. Typed readers (int, real, bool,
// string, choice, datasets) each check type and range and fall back to the default on error.

import Core
import Foundation
import Yams

/// A numeric range rule with the text used in messages.
struct RangeRule<T: Comparable> {
    let contains: (T) -> Bool
    let text: String

    static func closed(_ lo: T, _ hi: T) -> RangeRule { .init(contains: { lo <= $0 && $0 <= hi }, text: "\(lo)...\(hi)") }
    static func atLeast(_ lo: T) -> RangeRule { .init(contains: { lo <= $0 }, text: ">= \(lo)") }
    static func halfOpen(_ lo: T, _ hi: T) -> RangeRule { .init(contains: { lo <= $0 && $0 < hi }, text: "\(lo) <= x < \(hi)") }
    static func above(_ lo: T) -> RangeRule { .init(contains: { lo < $0 }, text: "> \(lo)") }
}

struct ConfigReader {
    let source: String
    private(set) var problems: [String] = []
    private(set) var values: [String: Node] = [:]
    var notes: [String] = []
    /// Set by the modelType reader when the file says `Hybrid` (Quantum + HQNN), for quanType's.
    var hybridAlias = false

    init(source: String) { self.source = source }

    // MARK: Messages

    mutating func problem(_ node: Node?, _ text: String) {
        let line = node?.mark.map { ":\($0.line)" } ?? ""
        problems.append("\(source)\(line): \(text)")
    }

    /// How a value is shown in messages: scalars as written (quoted when they were quoted).
    func show(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return s.style == .plain || s.style == .any ? s.string : "\"\(s.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// The value of `key`, nil when absent or null (a null is reported once, by `read`, as an
    /// error; the typed readers then keep the default so that every other problem is still found).
    func value(_ key: String) -> Node? {
        guard let v = values[key] else { return nil }
        if case .scalar = v, tagName(v) == .null { return nil }
        return v
    }

    /// True when the file has the key, even with no value (`key:`).
    func isPresent(_ key: String) -> Bool { values[key] != nil }

    func plainScalar(_ node: Node) -> Node.Scalar? {
        guard case .scalar(let s) = node, s.style == .plain || s.style == .any else { return nil }
        return s
    }

    // MARK: Typed readers

    mutating func int(_ key: String, _ def: Int, _ rule: RangeRule<Int>) -> Int {
        guard let v = value(key) else { return def }
        guard plainScalar(v) != nil, tagName(v) == .int, let x = v.int else {
            problem(v, "\(key) is \(show(v)), expected an integer (\(rule.text))"); return def
        }
        guard rule.contains(x) else { problem(v, "\(key) is \(x), out of range: valid values are \(rule.text)"); return def }
        return x
    }

    mutating func real(_ key: String, _ def: Double, _ rule: RangeRule<Double>) -> Double {
        guard let v = value(key) else { return def }
        guard plainScalar(v) != nil, tagName(v) == .int || tagName(v) == .float,
              let x = tagName(v) == .int ? v.int.map(Double.init) : v.float, x.isFinite else {
            problem(v, "\(key) is \(show(v)), expected a number (\(rule.text))"); return def
        }
        guard rule.contains(x) else { problem(v, "\(key) is \(x), out of range: valid values are \(rule.text)"); return def }
        return x
    }

    mutating func bool(_ key: String, _ def: Bool) -> Bool {
        guard let v = value(key) else { return def }
        guard plainScalar(v) != nil, tagName(v) == .bool, let b = v.bool else {
            problem(v, "\(key) is \(show(v)), expected true or false"); return def
        }
        return b
    }

    mutating func string(_ key: String, _ def: String) -> String {
        guard let v = value(key) else { return def }
        guard case .scalar(let s) = v, !s.string.isEmpty else {
            problem(v, "\(key) is \(show(v)), expected a non-empty string (a path)"); return def
        }
        return s.string
    }

    mutating func choice<E: ConfigChoice>(_ key: String, _ def: E) -> E {
        guard let v = value(key) else { return def }
        guard case .scalar(let s) = v else {
            problem(v, "\(key) is \(show(v)), expected one of \(E.choicesText)"); return def
        }
        guard let e = E.matching(s.string) else {
            problem(v, "\(key) is \(show(v)), not a valid choice: use one of \(E.choicesText)"); return def
        }
        return e
    }

    /// A list of choices; a single scalar is accepted as a one-element list.
    mutating func choices<E: ConfigChoice>(_ key: String, _ def: [E]) -> [E] {
        guard let v = value(key) else { return def }
        let items: [Node]
        switch v {
        case .sequence(let seq): items = Array(seq)
        case .scalar: items = [v]
        default: problem(v, "\(key) is \(show(v)), expected a list of \(E.choicesText)"); return def
        }
        var out: [E] = []
        for item in items {
            guard case .scalar(let s) = item, let e = E.matching(s.string) else {
                problem(item, "\(key) contains \(show(item)), not a valid choice: use any of \(E.choicesText)"); continue
            }
            if !out.contains(e) { out.append(e) }
        }
        return out
    }

    /// `trainData` / `testData`: a mapping `{name: source, ...}` or a list of such mappings
    /// (`[{a: src}, {b: src}]`, which is also what the old README's `[a: "src"]` parses to).
    /// Order is preserved; names must be unique and file-name safe.
    mutating func datasets(_ key: String) -> [DatasetEntry]? {
        guard let v = value(key) else { return nil }
        var pairs: [(Node, Node)] = []
        switch v {
        case .mapping(let m): pairs = m.map { ($0.key, $0.value) }
        case .sequence(let seq):
            for item in seq {
                guard case .mapping(let m) = item else {
                    problem(item, "\(key) list item is \(show(item)), expected a `name: source` entry, e.g. \(key): [{hard1k: \"hamzaboulahia/hardfakevsrealfaces/versions/1\"}]")
                    continue
                }
                pairs += m.map { ($0.key, $0.value) }
            }
        default:
            problem(v, "\(key) is \(show(v)), expected a mapping of dataset name to source, e.g. \(key): {hard1k: \"hamzaboulahia/hardfakevsrealfaces/versions/1\"}")
            return []
        }
        var out: [DatasetEntry] = []
        for (k, src) in pairs {
            guard case .scalar(let ks) = k else { problem(k, "\(key) has a dataset name that is \(show(k)), expected a plain name"); continue }
            let name = ks.string
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                problem(k, "\(key) dataset name '\(name)' may use only letters, digits, '-', '_' and '.' (it becomes part of folder names)")
                continue
            }
            if out.contains(where: { $0.name == name }) {
                problem(k, "\(key) names dataset '\(name)' twice: give each dataset its own name")
                continue
            }
            guard case .scalar(let ss) = src, tagName(src) != .null else {
                problem(src, "\(key).\(name) is \(tagName(src) == .null ? "empty" : show(src)), expected a source: a Kaggle handle \"owner/dataset[/versions/N]\", a local folder (starting with /, ./, ../ or ~) or \"builtin[:variant]\"")
                continue
            }
            do {
                out.append(DatasetEntry(name: name, source: try DatasetSource(parsing: ss.string)))
            } catch let e as DeepfakeError {
                problem(src, "\(key).\(name): \(e.message)")
            } catch {
                problem(src, "\(key).\(name): \(error)")
            }
        }
        return out
    }

    // MARK: Whole document

    mutating func read(_ root: Node?) -> Config {
        var c = Config()
        guard let root = root else {
            problem(nil, "the file is empty: it needs at least modelType and trainData")
            return c
        }
        guard case .mapping(let m) = root else {
            problem(root, "the top level is \(show(root)), expected a mapping of `key: value` lines")
            return c
        }
        for (k, v) in m {
            guard case .scalar(let ks) = k else { problem(k, "a key is \(show(k)), expected a plain key name"); continue }
            let key = ks.string
            // Duplicate keys never get here: the YAML parser rejects them.
            if let row = Config.keys.first(where: { $0.name == key }) {
                values[key] = v
                if case .scalar = v, tagName(v) == .null {
                    // `numEpochs:` with nothing after it is a value left out by mistake, not a
                    // request for the default: say so instead of silently using the default.
                    problem(v, "\(key) has no value (`\(key):` with nothing after it): "
                            + (row.required ? "it is required, write its value" : "write a value, or delete the line to use the default (\(row.defaultText))"))
                }
            } else {
                let hint = closestKey(to: key, in: Config.validKeys).map { " did you mean '\($0)'?" } ?? ""
                problem(k, "unknown key '\(key)':\(hint) Valid keys: \(Config.validKeys.joined(separator: ", "))")
            }
        }
        readAll(into: &c)
        c.loadNotes = notes
        return c
    }
}

/// The resolved YAML tag of a node (int, float, bool, null, str, ...).
func tagName(_ node: Node) -> Tag.Name { Tag.Name(rawValue: node.tag.rawValue) }
