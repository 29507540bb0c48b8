// ExplanationGrid / ExplanationSelection: which test images `deepfake explain` shows (every
// category present, evenly spread in p_fake, deterministic) and the grid's geometry and colour key,
// through a real libpng encode and decode.

import XCTest
import ImageIO
@testable import Reporting

final class ExplanationGridTests: XCTestCase {
    func testSelectionTakesEveryCategoryInTurnAndSpreadsWithinOne() {
        // 6 fakes said fake, 1 fake said real, 3 reals said real, no real said fake.
        let labels: [Int32] = [1, 1, 1, 1, 1, 1, 1, 0, 0, 0]
        let p: [Double] = [0.9, 0.6, 0.99, 0.7, 0.8, 0.95, 0.2, 0.1, 0.3, 0.05]
        let four = ExplanationSelection.choose(labels: labels, pFake: p, count: 4)
        XCTAssertEqual(four.map(\.category), [.fakeCorrect, .fakeCorrect, .fakeWrong, .realCorrect])
        // fake-correct sorted by p_fake: 0.6 (1), 0.7 (3), 0.8 (4), 0.9 (0), 0.95 (5), 0.99 (2): two
        // picks are the two ends; real-correct 0.05 (9), 0.1 (7), 0.3 (8): one pick is the middle.
        XCTAssertEqual(four.map(\.position), [1, 2, 6, 7])
        let all = ExplanationSelection.choose(labels: labels, pFake: p, count: 50)
        XCTAssertEqual(all.count, 10)
        XCTAssertEqual(Set(all.map(\.position)), Set(0..<10))
        XCTAssertEqual(ExplanationSelection.Category(label: 0, pFake: 0.5), .realWrong, "p_fake 0.5 is predicted fake")
    }

    func testGridGeometryAndColourKeySurviveAPNGRoundTrip() throws {
        let h = 8, w = 8, s = ExplanationGrid.scale(height: h)
        XCTAssertEqual(s, 12)
        let grey = [UInt8](repeating: 128, count: h * w)
        var hot = [Float](repeating: 0, count: h * w); hot[0] = 2
        let rows = [ExplanationGrid.Row(pixels: grey, fake: true, cells: [.init(map: hot, correct: true), .init(map: hot, correct: false)]),
                    ExplanationGrid.Row(pixels: grey, fake: false, cells: [.init(map: hot, correct: true), .init(map: hot, correct: true)])]
        let png = try ExplanationGrid.png(rows, height: h, width: w, channels: 1)
        let img = try png.withUnsafeBufferPointer { try ImageDecoder.decode($0) }
        let tile = h * s + 4
        XCTAssertEqual([img.width, img.height, img.channels], [4 + 5 * (tile + 4), 4 + 2 * (tile + 4), 3])
        func rgb(_ x: Int, _ y: Int) -> [UInt8] { (0..<3).map { img[x, y, $0] } }
        func tileOrigin(_ column: Int, _ row: Int) -> (Int, Int) { (4 + column * (tile + 4), 4 + row * (tile + 4)) }
        XCTAssertEqual(rgb(tileOrigin(0, 0).0, tileOrigin(0, 0).1), [255, 140, 0], "fake: orange frame")
        XCTAssertEqual(rgb(tileOrigin(0, 1).0, tileOrigin(0, 1).1), [40, 110, 255], "real: blue frame")
        XCTAssertEqual(rgb(tileOrigin(1, 0).0, tileOrigin(1, 0).1), [0, 190, 60], "correct: green frame")
        XCTAssertEqual(rgb(tileOrigin(3, 0).0, tileOrigin(3, 0).1), [225, 20, 20], "wrong: red frame")
        let (hx, hy) = tileOrigin(1, 0)
        XCTAssertEqual(rgb(hx + 2, hy + 2), [128, 0, 0], "the map's maximum is dark red")
        XCTAssertEqual(rgb(hx + 2 + 5 * s, hy + 2 + 5 * s), [0, 0, 128], "zero is dark blue")
        let (ox, oy) = tileOrigin(2, 0)
        XCTAssertEqual(rgb(ox + 2 + 5 * s, oy + 2 + 5 * s), [128, 128, 128], "the overlay leaves zero-map pixels unchanged")
        XCTAssertEqual(rgb(tileOrigin(0, 0).0 + 2, tileOrigin(0, 0).1 + 2), [128, 128, 128], "grey image shown as RGB")
    }
}
