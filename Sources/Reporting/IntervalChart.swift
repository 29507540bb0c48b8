// A dependency-free SVG dot-and-whisker chart: named categories along x (models), one marker per
// series and category at the mean with a whisker from lower to upper (a confidence interval),
// series side by side within a category, y axis with SVGChart's "nice" ticks, legend under the
// plot. Each series is one `<g class="series" data-name="...">` holding one
// `<g class="interval" data-category="..." data-mean=... data-lower=... data-upper=...>` per
// category it has a value for, so tests and scripts can read the drawn numbers back.

import Foundation

/// One named set of intervals, one per category of the chart (NaN mean = no value there).
public struct IntervalSeries: Sendable {
    public var name: String
    public var mean: [Double]
    public var lower: [Double]
    public var upper: [Double]

    public init(name: String, mean: [Double], lower: [Double], upper: [Double]) {
        precondition(mean.count == lower.count && mean.count == upper.count, "series \(name): means and bounds differ in length")
        self.name = name; self.mean = mean; self.lower = lower; self.upper = upper
    }
}

public struct IntervalChart: Sendable {
    public var title: String
    public var yLabel: String
    public var categories: [String]
    public var series: [IntervalSeries]
    public var width = 720.0
    public var plotHeight = 360.0

    public init(title: String, yLabel: String, categories: [String], series: [IntervalSeries]) {
        precondition(series.allSatisfy { $0.mean.count == categories.count }, "every series needs one value per category")
        self.title = title; self.yLabel = yLabel; self.categories = categories; self.series = series
    }

    public func svg() -> String {
        let left = 78.0, right = 24.0, top = 48.0
        let legendTop = top + plotHeight + 56
        let height = legendTop + 20 * Double(series.count) + 12
        let pw = width - left - right, ph = plotHeight
        let ys = series.flatMap { s in (s.mean + s.lower + s.upper).filter(\.isFinite) }
        let yTicks = Ticks(range: nil, data: ys, integer: false)
        func py(_ y: Double) -> Double { top + ph - (y - yTicks.lo) / (yTicks.hi - yTicks.lo) * ph }
        let slot = pw / Double(max(1, categories.count))
        func px(_ c: Int, _ s: Int) -> Double {
            let spread = slot * 0.6, n = Double(series.count)
            return left + slot * (Double(c) + 0.5) + (n > 1 ? spread * (Double(s) / (n - 1) - 0.5) : 0)
        }
        var o = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text class="title" x="\(f(width / 2))" y="28" text-anchor="middle" font-size="15" font-weight="bold">\(esc(title))</text>

        """
        for t in yTicks.values {
            o += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(left + pw))\" y2=\"\(f(py(t)))\" stroke=\"#e5e5e5\"/>\n"
            o += "<text x=\"\(f(left - 8))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(yTicks.label(t))</text>\n"
        }
        o += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"#333\"/>\n"
        for (c, name) in categories.enumerated() {
            o += "<text x=\"\(f(left + slot * (Double(c) + 0.5)))\" y=\"\(f(top + ph + 20))\" text-anchor=\"middle\">\(esc(name))</text>\n"
        }
        o += "<text x=\"18\" y=\"\(f(top + ph / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(f(top + ph / 2)))\">\(esc(yLabel))</text>\n"
        for (s, ser) in series.enumerated() {
            let colour = LineChart.palette[s % LineChart.palette.count]
            o += "<g class=\"series\" data-name=\"\(esc(ser.name))\" stroke=\"\(colour)\" fill=\"\(colour)\">\n"
            for c in categories.indices where ser.mean[c].isFinite {
                let x = px(c, s)
                o += "<g class=\"interval\" data-category=\"\(esc(categories[c]))\" data-mean=\"\(ser.mean[c])\" data-lower=\"\(ser.lower[c])\" data-upper=\"\(ser.upper[c])\">"
                if ser.lower[c].isFinite && ser.upper[c].isFinite {
                    o += "<line x1=\"\(f(x))\" y1=\"\(f(py(ser.lower[c])))\" x2=\"\(f(x))\" y2=\"\(f(py(ser.upper[c])))\" stroke-width=\"2\"/>"
                    for b in [ser.lower[c], ser.upper[c]] {
                        o += "<line x1=\"\(f(x - 5))\" y1=\"\(f(py(b)))\" x2=\"\(f(x + 5))\" y2=\"\(f(py(b)))\" stroke-width=\"2\"/>"
                    }
                }
                o += "<circle cx=\"\(f(x))\" cy=\"\(f(py(ser.mean[c])))\" r=\"4\"/></g>\n"
            }
            o += "</g>\n"
            let ly = legendTop + 20 * Double(s)
            o += "<circle cx=\"\(f(left + 8))\" cy=\"\(f(ly - 4))\" r=\"4\" fill=\"\(colour)\"/>"
            o += "<text x=\"\(f(left + 20))\" y=\"\(f(ly))\">\(esc(ser.name))</text>\n"
        }
        o += "</svg>\n"
        return o
    }
}
