// A dependency-free SVG line chart: title, axes with "nice" ticks and labels, grid, one polyline
// per series (NaN values break the line), point markers for short series, and a legend under the
// plot. Each series is one `<g class="series" data-name="...">`, so tests and scripts can find them.

import Foundation

/// One named line. Points with a NaN y are gaps (e.g. epochs without validation).
public struct ChartSeries: Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    public var dashed: Bool

    public init(name: String, x: [Double], y: [Double], dashed: Bool = false) {
        precondition(x.count == y.count, "series \(name): \(x.count) x values for \(y.count) y values")
        self.name = name; self.x = x; self.y = y; self.dashed = dashed
    }
}

public struct LineChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [ChartSeries]
    /// Fixed axis ranges; nil = from the data, widened to nice tick values.
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    /// Ticks on whole numbers only (epochs).
    public var integerX = false
    /// A logarithmic y axis (decades 1, 10, 100 ... with 2x and 5x ticks when few decades show);
    /// values <= 0 are gaps, like NaN.
    public var logY = false
    public var width = 720.0
    public var plotHeight = 380.0

    public init(title: String, xLabel: String, yLabel: String, series: [ChartSeries],
                xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil, integerX: Bool = false,
                logY: Bool = false) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series
        self.xRange = xRange; self.yRange = yRange; self.integerX = integerX; self.logY = logY
    }

    /// A y value as drawn: itself, or its log10 on a log axis (nil = a gap).
    func plotted(_ y: Double) -> Double? {
        guard y.isFinite else { return nil }
        if logY { return y > 0 ? log10(y) : nil }
        return y
    }

    /// Okabe-Ito colours (colour-blind safe); after 8 series they repeat dashed.
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

    /// The chart as a standalone SVG document.
    public func svg() -> String {
        let left = 78.0, right = 24.0, top = 48.0
        let legendTop = top + plotHeight + 56
        let height = legendTop + 20 * Double(series.count) + 12
        let pw = width - left - right, ph = plotHeight

        let xs = series.flatMap { s in zip(s.x, s.y).filter { $0.1.isFinite && $0.0.isFinite }.map { $0.0 } }
        let ys = series.flatMap { $0.y.compactMap(plotted) }
        let xTicks = Ticks(range: xRange, data: xs, integer: integerX)
        let yTicks = logY ? Ticks(logRange: yRange, log10Data: ys) : Ticks(range: yRange, data: ys, integer: false)
        func px(_ x: Double) -> Double { left + (x - xTicks.lo) / (xTicks.hi - xTicks.lo) * pw }
        func py(_ y: Double) -> Double { top + ph - (y - yTicks.lo) / (yTicks.hi - yTicks.lo) * ph }

        var o = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text class="title" x="\(f(width / 2))" y="28" text-anchor="middle" font-size="16" font-weight="bold">\(esc(title))</text>

        """
        // Grid and ticks.
        o += "<g class=\"axes\" stroke=\"#000\" stroke-width=\"1\">\n"
        for t in xTicks.values {
            o += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top))\" x2=\"\(f(px(t)))\" y2=\"\(f(top + ph))\" stroke=\"#e5e5e5\"/>\n"
            o += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top + ph))\" x2=\"\(f(px(t)))\" y2=\"\(f(top + ph + 5))\"/>\n"
            o += "<text class=\"xtick\" x=\"\(f(px(t)))\" y=\"\(f(top + ph + 19))\" text-anchor=\"middle\" stroke=\"none\">\(xTicks.label(t))</text>\n"
        }
        for t in yTicks.values {
            o += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(left + pw))\" y2=\"\(f(py(t)))\" stroke=\"#e5e5e5\"/>\n"
            o += "<line x1=\"\(f(left - 5))\" y1=\"\(f(py(t)))\" x2=\"\(f(left))\" y2=\"\(f(py(t)))\"/>\n"
            o += "<text class=\"ytick\" x=\"\(f(left - 8))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\" stroke=\"none\">\(yTicks.label(t))</text>\n"
        }
        o += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\"/>\n</g>\n"
        o += "<text class=\"xlabel\" x=\"\(f(left + pw / 2))\" y=\"\(f(top + ph + 40))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        o += "<text class=\"ylabel\" transform=\"translate(20 \(f(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel))</text>\n"

        // Series, clipped to the plot area.
        o += "<clipPath id=\"plot\"><rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\"/></clipPath>\n"
        for (k, s) in series.enumerated() {
            let colour = LineChart.palette[k % LineChart.palette.count]
            let dash = s.dashed || k >= LineChart.palette.count ? " stroke-dasharray=\"6 4\"" : ""
            o += "<g class=\"series\" data-name=\"\(esc(s.name))\" stroke=\"\(colour)\" fill=\"none\" stroke-width=\"2\"\(dash) clip-path=\"url(#plot)\">\n"
            var run: [String] = []
            func flush() {
                if run.count > 1 { o += "<polyline points=\"\(run.joined(separator: " "))\"/>\n" }
                run = []
            }
            for i in s.x.indices {
                guard s.x[i].isFinite, let y = plotted(s.y[i]) else { flush(); continue }
                run.append("\(f(px(s.x[i]))),\(f(py(y)))")
                if s.x.count <= 60 {
                    o += "<circle cx=\"\(f(px(s.x[i])))\" cy=\"\(f(py(y)))\" r=\"2.5\" fill=\"\(colour)\" stroke=\"none\"/>\n"
                }
            }
            flush()
            o += "</g>\n"
        }

        // Legend under the plot, one line per series.
        o += "<g class=\"legend\">\n"
        for (k, s) in series.enumerated() {
            let y = legendTop + 20 * Double(k)
            let colour = LineChart.palette[k % LineChart.palette.count]
            let dash = s.dashed || k >= LineChart.palette.count ? " stroke-dasharray=\"6 4\"" : ""
            o += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + 28))\" y2=\"\(f(y))\" stroke=\"\(colour)\" stroke-width=\"2\"\(dash)/>\n"
            o += "<text x=\"\(f(left + 36))\" y=\"\(f(y + 4))\">\(esc(s.name))</text>\n"
        }
        o += "</g>\n</svg>\n"
        return o
    }
}

/// Coordinates with two decimals: enough for screen units, small files.
func f(_ v: Double) -> String { String(format: "%.2f", v) }

/// XML text/attribute escaping.
func esc(_ s: String) -> String {
    var r = ""
    for c in s {
        switch c {
        case "&": r += "&amp;"
        case "<": r += "&lt;"
        case ">": r += "&gt;"
        case "\"": r += "&quot;"
        case "'": r += "&apos;"
        default: r.append(c)
        }
    }
    return r
}

/// "Nice" axis ticks: a step of 1, 2 or 5 times a power of ten giving about 5 intervals, and the
/// axis widened to whole steps (unless the range is fixed).
struct Ticks {
    var lo: Double, hi: Double
    var values: [Double] = []
    var decimals = 0
    /// Positions are log10 of the values (labels show the values).
    var isLog = false

    init(range: ClosedRange<Double>?, data: [Double], integer: Bool) {
        var a = range?.lowerBound ?? data.min() ?? 0
        var b = range?.upperBound ?? data.max() ?? 1
        if !(b > a) {  // one value, or no data: open a unit window around it
            let pad = a == 0 ? 0.5 : abs(a) * 0.1
            a -= pad; b += pad
        }
        var step = Ticks.niceStep((b - a) / 5)
        if integer { step = max(1, step.rounded(.up)) }
        if range == nil {
            a = (a / step).rounded(.down) * step
            b = (b / step).rounded(.up) * step
        }
        lo = a; hi = b
        decimals = max(0, Int(-(log10(step)).rounded(.down)))
        // Multiples of step computed by index, not by repeated addition, so no drift.
        let first = (a / step - 1e-9).rounded(.up)
        var i = 0.0
        while (first + i) * step <= b + step * 1e-9 {
            let t = (first + i) * step
            values.append(abs(t) < step * 1e-9 ? 0 : t)
            i += 1
        }
    }

    /// Log-axis ticks: positions in log10 units spanning whole decades around the data (or
    /// log10 of a fixed range), a tick at every decade, plus 2x and 5x when at most 3 decades show;
    /// labels are the values themselves (0.01, 1, 200), never their logarithms.
    init(logRange: ClosedRange<Double>?, log10Data: [Double]) {
        var a = logRange.map { log10($0.lowerBound) } ?? (log10Data.min() ?? 0)
        var b = logRange.map { log10($0.upperBound) } ?? (log10Data.max() ?? 1)
        if logRange == nil { a = a.rounded(.down); b = b.rounded(.up) }
        if !(b > a) { b = a + 1 }
        lo = a; hi = b
        isLog = true
        let decades = Int((b - a).rounded(.up))
        let multiples: [Double] = decades <= 3 ? [1, 2, 5] : [1]
        var d = a.rounded(.down)
        while d <= b + 1e-9 {
            for m in multiples {
                let t = d + log10(m)
                if t >= a - 1e-9 && t <= b + 1e-9 { values.append(t) }
            }
            d += 1
        }
    }

    static func niceStep(_ raw: Double) -> Double {
        let p = pow(10, (log10(raw)).rounded(.down))
        let m = raw / p
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p
    }

    func label(_ v: Double) -> String {
        guard isLog else { return String(format: "%.\(decimals)f", v) }
        let value = pow(10, v)
        return String(format: "%g", (value * 1e6).rounded() / 1e6)
    }
}
