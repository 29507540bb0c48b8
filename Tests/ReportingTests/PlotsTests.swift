// SVG plots: well-formed XML (parsed with Foundation's XMLParser), the expected number of series,
// titles and axis labels, and sensible ticks.

import XCTest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Metrics
@testable import Reporting

/// Parses an SVG document and collects what the tests check.
final class SVGProbe: NSObject, XMLParserDelegate {
    var rootName = ""
    var seriesNames: [String] = []
    var polylines = 0
    var texts: [String] = []
    private var inText = false
    private var current = ""

    static func parse(_ svg: String) -> SVGProbe? {
        let probe = SVGProbe()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = probe
        return parser.parse() ? probe : nil
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if rootName.isEmpty { rootName = name }
        if name == "g", attributes["class"] == "series" { seriesNames.append(attributes["data-name"] ?? "") }
        if name == "polyline" { polylines += 1 }
        if name == "text" { inText = true; current = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { if inText { current += string } }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" { texts.append(current); inText = false }
    }
}

final class PlotsTests: XCTestCase {
    let records = (1...5).map { e in
        EpochRecord(epoch: e, trainLoss: 1.0 / Double(e), trainAccuracy: 0.5 + 0.08 * Double(e), valLoss: 1.2 / Double(e),
                    valAccuracy: 0.5 + 0.07 * Double(e), epochSeconds: 3, imagesPerSecond: 100, peakMemoryMB: 200, learningRate: 1e-3)
    }

    func testLossAndAccuracyPlots() throws {
        let loss = try XCTUnwrap(SVGProbe.parse(Plots.loss(records).svg()))
        XCTAssertEqual(loss.rootName, "svg")
        XCTAssertEqual(loss.seriesNames, ["train", "validation"])
        XCTAssertEqual(loss.polylines, 2)
        XCTAssertTrue(loss.texts.contains("Loss per epoch") && loss.texts.contains("epoch") && loss.texts.contains("cross-entropy loss"))
        // Integer epoch ticks 1...5.
        for t in ["1", "2", "3", "4", "5"] { XCTAssertTrue(loss.texts.contains(t), t) }
        let acc = try XCTUnwrap(SVGProbe.parse(Plots.accuracy(records).svg()))
        XCTAssertEqual(acc.seriesNames, ["train", "validation"])
        for t in ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"] { XCTAssertTrue(acc.texts.contains(t), t) }
    }

    func testRunWithoutValidationHasOneSeriesAndNaNBreaksALine() throws {
        var r = records
        for i in r.indices { r[i].valLoss = .nan }
        XCTAssertEqual(SVGProbe.parse(Plots.loss(r).svg())?.seriesNames, ["train"])
        r[2].trainLoss = .nan  // epoch 3 missing: two polylines (epochs 1-2 and 4-5)
        XCTAssertEqual(SVGProbe.parse(Plots.loss(r).svg())?.polylines, 2)
    }

    func testROCPlot() throws {
        let labels: [Int32] = [1, 1, 0, 0, 1, 0], p = [0.9, 0.4, 0.6, 0.2, 0.7, 0.5]
        let roc = try XCTUnwrap(SVGProbe.parse(Plots.roc(ROCCurve(labels: labels, pFake: p), auc: 7.0 / 9).svg()))
        XCTAssertEqual(roc.seriesNames, ["model (AUC 0.778)", "chance (AUC 0.5)"])
        XCTAssertEqual(roc.polylines, 2)
    }

    func testComparisonHasOneSeriesPerRunAndEscapesNames() throws {
        let runs: [(name: String, records: [EpochRecord])] = [("Classic <a&b>", records), ("HQNN", Array(records.prefix(3))), ("QNN", records)]
        let svg = Plots.comparison(runs, metric: .valAccuracy).svg()
        let probe = try XCTUnwrap(SVGProbe.parse(svg))
        XCTAssertEqual(probe.seriesNames, ["Classic <a&b>", "HQNN", "QNN"])
        XCTAssertTrue(probe.texts.contains("Validation accuracy by run"))
        XCTAssertEqual(SVGProbe.parse(Plots.comparison(runs, metric: .valLoss).svg())?.seriesNames.count, 3)
    }

    func testNiceTicks() {
        let t = Ticks(range: nil, data: [0.13, 0.87], integer: false)
        XCTAssertEqual(t.values.map { ($0 * 10).rounded() / 10 }, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
        XCTAssertEqual(t.lo, 0); XCTAssertEqual(t.hi, 1, accuracy: 1e-12)
        XCTAssertEqual(t.label(0.4), "0.4")
        let e = Ticks(range: nil, data: [1, 2, 3], integer: true)
        XCTAssertEqual(e.values, [1, 2, 3])
        let flat = Ticks(range: nil, data: [2, 2], integer: false)  // a constant series still gets an axis
        XCTAssertTrue(flat.hi > flat.lo && flat.values.count >= 2)
    }

    func testLogAxisTicksAreDecadesLabelledByValue() {
        // Data from 0.003 s to 40 s: the axis spans 1e-3..1e2 (5 decades: decade ticks only).
        let wide = Ticks(logRange: nil, log10Data: [log10(0.003), log10(40)])
        XCTAssertEqual(wide.lo, -3); XCTAssertEqual(wide.hi, 2)
        XCTAssertEqual(wide.values.map { wide.label($0) }, ["0.001", "0.01", "0.1", "1", "10", "100"])
        // Two decades: 1, 2, 5 per decade.
        let narrow = Ticks(logRange: nil, log10Data: [log10(1.5), log10(60)])
        XCTAssertEqual(narrow.values.map { narrow.label($0) }, ["1", "2", "5", "10", "20", "50", "100"])
    }

    func testLogYChartPlacesValuesByTheirLogarithmAndSkipsNonPositive() throws {
        let chart = LineChart(title: "t", xLabel: "qubits", yLabel: "seconds", series: [
            ChartSeries(name: "layer", x: [4, 8, 12, 16], y: [0.001, 0.01, 0, 1])], integerX: true, logY: true)
        let svg = chart.svg()
        let probe = try XCTUnwrap(SVGProbe.parse(svg))
        XCTAssertEqual(probe.seriesNames, ["layer"])
        XCTAssertTrue(probe.texts.contains("0.001") && probe.texts.contains("1"), "\(probe.texts)")
        // y = 0 has no logarithm: a gap, so the line breaks into one two-point polyline (the lone
        // last point is only a marker).
        XCTAssertEqual(probe.polylines, 1)
        // Equal ratios are equal distances: 0.001 -> 0.01 spans the same height as 0.01 -> 0.1.
        let ys = svg.components(separatedBy: "<circle ").dropFirst().compactMap { c -> Double? in
            guard let r = c.range(of: "cy=\"") else { return nil }
            return Double(c[r.upperBound...].prefix { $0 != "\"" })
        }
        XCTAssertEqual(ys.count, 3)
        let perDecade = ys[0] - ys[1]
        XCTAssertGreaterThan(perDecade, 0)
        XCTAssertEqual(ys[1] - ys[2], 2 * perDecade, accuracy: 0.05)
    }

    func testWriteCreatesTheFile() throws {
        let path = try temporaryFolder(self) + "/loss.svg"
        try Plots.write(Plots.loss(records), to: path)
        XCTAssertNotNil(SVGProbe.parse(try String(contentsOfFile: path, encoding: .utf8)))
    }
}
