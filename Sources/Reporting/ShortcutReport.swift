// The shortcut audit's report: for every dataset (and all of them pooled), every trivial property's
// summary per class and how well that property ALONE separates fakes from reals (AUC with its best
// threshold and direction); a property above `flagAUC` is flagged as a likely shortcut, i.e.
// something a classifier can learn instead of what makes a face fake. Written as a text table,
// JSON and CSV. The measurements come in as plain samples, so this file knows no image code.

import Core
import Foundation
import Metrics

/// One property value of one image: a number, a category (file format), or missing (e.g. the JPEG
/// quality of a PNG). Missing values are left out of that property's AUC.
public enum AuditValue: Equatable, Sendable {
    case number(Double)
    case category(String)
    case missing
}

public struct AuditSample: Equatable, Sendable {
    public var dataset: String
    /// 1 = fake, 0 = real.
    public var label: Int32
    /// One value per property of the report, in its order.
    public var values: [AuditValue]
    public init(dataset: String, label: Int32, values: [AuditValue]) {
        self.dataset = dataset; self.label = label; self.values = values
    }
}

/// One (dataset, property) row of the report.
public struct AuditRow: Sendable {
    public var dataset: String
    public var property: String
    /// Images of each class with a value for this property.
    public var realCount: Int
    public var fakeCount: Int
    /// Numeric: "mean (median)" per class; categorical: "jpeg 100%, png 0%"-style shares.
    public var realSummary: String
    public var fakeSummary: String
    public var realMean: Double
    public var fakeMean: Double
    public var separation: FeatureSeparation
    /// Categorical properties: the categories on the fake side of the threshold.
    public var fakeCategories: [String]?
    public var flagged: Bool

    /// The threshold rule in words ("fake if >= 42", "fake if in {png}", "no useful cut").
    public var rule: String {
        guard let cats = fakeCategories else { return separation.rule }
        if separation.auc.isNaN { return "undefined" }
        return separation.balancedAccuracy > 0.5 ? "fake if in {\(cats.joined(separator: ", "))}" : "no useful cut"
    }
}

public struct ShortcutReport: Sendable {
    public var properties: [String]
    public var rows: [AuditRow]
    public var flagAUC: Double

    /// The pooled group's name when several datasets are audited.
    public static let pooledName = "all"

    /// Builds the rows: each dataset in `datasets` order, then "all" when there are several.
    public init(properties: [String], samples: [AuditSample], datasets: [String], flagAUC: Double = 0.8) {
        self.properties = properties
        self.flagAUC = flagAUC
        var groups = datasets.map { name in (name, samples.filter { $0.dataset == name }) }
        if datasets.count > 1 { groups.append((ShortcutReport.pooledName, samples.filter { datasets.contains($0.dataset) })) }
        rows = []
        for (name, group) in groups {
            for (k, property) in properties.enumerated() {
                rows.append(ShortcutReport.row(dataset: name, property: property, k: k, samples: group, flagAUC: flagAUC))
            }
        }
    }

    static func row(dataset: String, property: String, k: Int, samples: [AuditSample], flagAUC: Double) -> AuditRow {
        var numbers: [(Double, Int32)] = [], categories: [(String, Int32)] = []
        for s in samples {
            switch s.values[k] {
            case .number(let x) where x.isFinite: numbers.append((x, s.label))
            case .category(let c): categories.append((c, s.label))
            default: break
            }
        }
        if !categories.isEmpty {
            // Each category coded by its share of fakes: the AUC of that code is the best any rule on the category can do.
            var counts: [String: (real: Int, fake: Int)] = [:]
            for (c, y) in categories { counts[c, default: (0, 0)].real += y == 0 ? 1 : 0; counts[c, default: (0, 0)].fake += y == 1 ? 1 : 0 }
            let share = counts.mapValues { Double($0.fake) / Double($0.real + $0.fake) }
            let sep = FeatureSeparation(values: categories.map { share[$0.0]! }, labels: categories.map(\.1))
            let realN = categories.filter { $0.1 == 0 }.count, fakeN = categories.count - realN
            func summary(_ fake: Bool) -> String {
                let n = fake ? fakeN : realN
                return counts.keys.sorted().map { c in
                    let m = fake ? counts[c]!.fake : counts[c]!.real
                    return "\(c) \(n == 0 ? "-" : String(format: "%.0f%%", 100 * Double(m) / Double(n)))"
                }.joined(separator: ", ")
            }
            let fakeSide = counts.keys.sorted().filter { sep.higherMeansFake ? share[$0]! >= sep.threshold : share[$0]! <= sep.threshold }
            return AuditRow(dataset: dataset, property: property, realCount: realN, fakeCount: fakeN,
                            realSummary: summary(false), fakeSummary: summary(true), realMean: .nan, fakeMean: .nan,
                            separation: sep, fakeCategories: fakeSide, flagged: sep.auc > flagAUC)
        }
        let real = numbers.filter { $0.1 == 0 }.map(\.0), fake = numbers.filter { $0.1 == 1 }.map(\.0)
        let sep = FeatureSeparation(values: numbers.map(\.0), labels: numbers.map(\.1))
        func mean(_ a: [Double]) -> Double { a.isEmpty ? .nan : a.reduce(0, +) / Double(a.count) }
        func median(_ a: [Double]) -> Double {
            guard !a.isEmpty else { return .nan }
            let s = a.sorted(), m = s.count / 2
            return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
        }
        func summary(_ a: [Double]) -> String {
            a.isEmpty ? "-" : "\(FeatureSeparation.short(mean(a))) (\(FeatureSeparation.short(median(a))))"
        }
        return AuditRow(dataset: dataset, property: property, realCount: real.count, fakeCount: fake.count,
                        realSummary: summary(real), fakeSummary: summary(fake), realMean: mean(real), fakeMean: mean(fake),
                        separation: sep, fakeCategories: nil, flagged: sep.auc > flagAUC)
    }

    public var flagged: [AuditRow] { rows.filter(\.flagged) }

    /// The text table (fixed-width columns) for stdout and the log.
    public var table: String {
        let header = ["dataset", "property", "n real", "n fake", "real mean (median)", "fake mean (median)", "AUC", "best single cut", "flag"]
        let body = rows.map { r in
            [r.dataset, r.property, String(r.realCount), String(r.fakeCount), r.realSummary, r.fakeSummary,
             r.separation.auc.isNaN ? "n/a" : String(format: "%.3f", r.separation.auc), r.rule,
             r.flagged ? "SHORTCUT?" : ""]
        }
        let widths = header.indices.map { c in ([header] + body).map { $0[c].count }.max()! }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + body.map(line))
            .joined(separator: "\n") + "\n"
            + "AUC: max(AUC, 1 - AUC) of the property alone as the score (1.0 = it separates real from fake perfectly, 0.5 = "
            + "not at all); flagged above \(flagAUC): a likely shortcut a model can learn instead of the face.\n"
    }

    /// One line per flagged row (for the training log); one line saying so when nothing is flagged.
    public var flagLines: [String] {
        let f = flagged
        guard !f.isEmpty else {
            var sets: [String] = []
            for r in rows where r.dataset != ShortcutReport.pooledName && !sets.contains(r.dataset) { sets.append(r.dataset) }
            return ["audit: no property alone separates real from fake above AUC \(flagAUC) in \(sets.joined(separator: ", "))"]
        }
        return f.map { r in
            "audit: likely shortcut in \(r.dataset): \(r.property) alone separates real from fake with AUC "
                + String(format: "%.3f", r.separation.auc) + " (\(r.rule); real \(r.realSummary), fake \(r.fakeSummary))"
        }
    }

    /// The JSON object: settings, then per dataset per property its class summaries and separation.
    public func jsonObject(context: [String: Any] = [:]) -> [String: Any] {
        func num(_ x: Double) -> Any { x.isFinite ? x : NSNull() }
        var datasets: [String: Any] = [:]
        for name in rows.map(\.dataset) where datasets[name] == nil {
            var props: [String: Any] = [:]
            for r in rows where r.dataset == name {
                var o: [String: Any] = [
                    "real_count": r.realCount, "fake_count": r.fakeCount, "real_summary": r.realSummary, "fake_summary": r.fakeSummary,
                    "real_mean": num(r.realMean), "fake_mean": num(r.fakeMean), "auc": num(r.separation.auc),
                    "direction": r.separation.higherMeansFake ? "higher means fake" : "lower means fake",
                    "threshold": num(r.separation.threshold), "balanced_accuracy": num(r.separation.balancedAccuracy),
                    "rule": r.rule, "flagged": r.flagged,
                ]
                if let cats = r.fakeCategories { o["fake_categories"] = cats }
                props[r.property] = o
            }
            datasets[name] = props
        }
        var o: [String: Any] = ["flag_auc": flagAUC, "properties": properties, "datasets": datasets,
                                "flagged": flagged.map { ["dataset": $0.dataset, "property": $0.property, "auc": num($0.separation.auc), "rule": $0.rule] }]
        if !context.isEmpty { o["context"] = context }
        return o
    }

    /// One CSV row per (dataset, property).
    public var csv: String {
        var text = "dataset,property,real_count,fake_count,real_summary,fake_summary,real_mean,fake_mean,auc,direction,threshold,balanced_accuracy,rule,flagged\n"
        for r in rows {
            let cells = [r.dataset, r.property, String(r.realCount), String(r.fakeCount), r.realSummary, r.fakeSummary,
                         "\(r.realMean)", "\(r.fakeMean)", "\(r.separation.auc)",
                         r.separation.higherMeansFake ? "higher means fake" : "lower means fake",
                         "\(r.separation.threshold)", "\(r.separation.balancedAccuracy)", r.rule, r.flagged ? "1" : "0"]
            text += cells.map(TestOutputs.csvField).joined(separator: ",") + "\n"
        }
        return text
    }

    /// Writes audit.json and audit.csv and audit.txt into `folder` (which the caller created new).
    public func write(to folder: String, context: [String: Any] = [:]) throws {
        try TestOutputs.writeJSON(jsonObject(context: context), to: (folder as NSString).appendingPathComponent("audit.json"))
        try AtomicFile.write(csv, to: (folder as NSString).appendingPathComponent("audit.csv"))
        try AtomicFile.write(table, to: (folder as NSString).appendingPathComponent("audit.txt"))
    }
}
