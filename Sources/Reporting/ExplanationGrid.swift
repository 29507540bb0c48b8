// ExplanationGrid: the PNG of `deepfake explain`: one row per test image, columns image | heat map |
// overlay for each explained model (Classic and HQNN side by side on the same images), plus the
// choice of which test images to show (real and fake, correct and wrong).
//
// Colour key (there is no text in the picture; explanations.csv names every row): the image
// tile's frame is blue for a real image and orange for a fake one; each model's heat-map and
// overlay frames are green when that model classified the image correctly, red when not. Each
// map is scaled by its own maximum (jet colours, dark blue = 0); an all-zero map (no evidence
// for "fake" anywhere, common for confidently real images) stays dark blue. The overlay blends
// the heat colour in with weight 0.6 x the map value.

import Core
import Foundation
import ImageIO

public enum ExplanationGrid {
    /// One model's explanation of one image.
    public struct Cell: Sendable {
        /// The map at image resolution, height x width row-major, >= 0.
        public var map: [Float]
        public var correct: Bool
        public init(map: [Float], correct: Bool) { self.map = map; self.correct = correct }
    }

    /// One image (HWC uint8, `channels` 1 or 3) and its cells, one per model.
    public struct Row: Sendable {
        public var pixels: [UInt8]
        public var fake: Bool
        public var cells: [Cell]
        public init(pixels: [UInt8], fake: Bool, cells: [Cell]) { self.pixels = pixels; self.fake = fake; self.cells = cells }
    }

    static let frame = 2, gap = 4
    static let realColour: (UInt8, UInt8, UInt8) = (40, 110, 255), fakeColour: (UInt8, UInt8, UInt8) = (255, 140, 0)
    static let correctColour: (UInt8, UInt8, UInt8) = (0, 190, 60), wrongColour: (UInt8, UInt8, UInt8) = (225, 20, 20)

    /// Magnification of each tile so that small training images (32 px) are still visible: the
    /// smallest integer making a tile at least 96 pixels high.
    public static func scale(height: Int) -> Int { Swift.max(1, (96 + height - 1) / height) }

    /// The grid as an RGB image; every row must have the same number of cells.
    public static func render(_ rows: [Row], height: Int, width: Int, channels: Int) -> Image {
        precondition(!rows.isEmpty && [1, 3].contains(channels))
        let models = rows[0].cells.count
        precondition(rows.allSatisfy { $0.cells.count == models && $0.pixels.count == height * width * channels })
        let s = scale(height: height)
        let tileH = height * s + 2 * frame, tileW = width * s + 2 * frame
        let columns = 1 + 2 * models
        let W = gap + columns * (tileW + gap), H = gap + rows.count * (tileH + gap)
        var out = [UInt8](repeating: 255, count: W * H * 3)
        func put(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            let o = (y * W + x) * 3
            out[o] = c.0; out[o + 1] = c.1; out[o + 2] = c.2
        }
        /// Draws a framed tile at (column, row) whose pixel (x, y) of the image grid is `colour`.
        func tile(_ column: Int, _ row: Int, border: (UInt8, UInt8, UInt8), _ colour: (Int, Int) -> (UInt8, UInt8, UInt8)) {
            let x0 = gap + column * (tileW + gap), y0 = gap + row * (tileH + gap)
            for y in 0..<tileH { for x in 0..<tileW {
                let inside = x >= frame && x < tileW - frame && y >= frame && y < tileH - frame
                put(x0 + x, y0 + y, inside ? colour((x - frame) / s, (y - frame) / s) : border)
            } }
        }
        for (r, row) in rows.enumerated() {
            func pixel(_ x: Int, _ y: Int) -> (Float, Float, Float) {
                let o = (y * width + x) * channels
                return channels == 3 ? (Float(row.pixels[o]), Float(row.pixels[o + 1]), Float(row.pixels[o + 2]))
                    : (Float(row.pixels[o]), Float(row.pixels[o]), Float(row.pixels[o]))
            }
            tile(0, r, border: row.fake ? fakeColour : realColour) { x, y in
                let p = pixel(x, y)
                return (UInt8(p.0), UInt8(p.1), UInt8(p.2))
            }
            for (m, cell) in row.cells.enumerated() {
                let top = cell.map.max() ?? 0
                let norm = cell.map.map { top > 0 ? $0 / top : 0 }
                let border = cell.correct ? correctColour : wrongColour
                tile(1 + 2 * m, r, border: border) { x, y in jet(norm[y * width + x]) }
                tile(2 + 2 * m, r, border: border) { x, y in
                    // The heat colour's weight grows with the map value, so where the map is 0 the
                    // image shows unchanged.
                    let t = norm[y * width + x], p = pixel(x, y), h = jet(t), w = 0.6 * t
                    func mix(_ a: Float, _ b: UInt8) -> UInt8 { UInt8(Swift.min(255, ((1 - w) * a + w * Float(b)).rounded())) }
                    return (mix(p.0, h.0), mix(p.1, h.1), mix(p.2, h.2))
                }
            }
        }
        return Image(width: W, height: H, channels: 3, pixels: out)
    }

    /// `render` encoded as PNG (libpng).
    public static func png(_ rows: [Row], height: Int, width: Int, channels: Int) throws -> [UInt8] {
        try ImageEncoder.png(render(rows, height: height, width: width, channels: channels))
    }

    /// The "jet" colour map: t in [0, 1] -> dark blue, blue, cyan, yellow, red, dark red.
    public static func jet(_ t: Float) -> (UInt8, UInt8, UInt8) {
        let v = Swift.min(Swift.max(t, 0), 1)
        func ch(_ centre: Float) -> UInt8 { UInt8((Swift.min(Swift.max(1.5 - abs(4 * v - centre), 0), 1) * 255).rounded()) }
        return (ch(3), ch(2), ch(1))
    }
}

/// Which test images an explanation shows.
public enum ExplanationSelection {
    /// The four kinds of test image, in the order the grid shows them.
    public enum Category: String, CaseIterable, Sendable {
        case fakeCorrect = "fake-correct", fakeWrong = "fake-wrong", realCorrect = "real-correct", realWrong = "real-wrong"

        public init(label: Int32, pFake: Double) {
            let fake = label == 1, saysFake = pFake >= 0.5
            switch (fake, saysFake == fake) {
            case (true, true): self = .fakeCorrect
            case (true, false): self = .fakeWrong
            case (false, true): self = .realCorrect
            case (false, false): self = .realWrong
            }
        }
    }

    /// Up to `count` positions of `labels`/`pFake` (fake = 1, predicted fake when p_fake >= 0.5),
    /// taken in turn from each category that still has images (so real and fake, correct and
    /// wrong all appear when the test set has them). Within a category, images are sorted by
    /// p_fake and taken evenly spaced, from confident to borderline. Deterministic.
    public static func choose(labels: [Int32], pFake: [Double], count: Int) -> [(position: Int, category: Category)] {
        precondition(labels.count == pFake.count)
        let groups = Category.allCases.map { cat in
            labels.indices.filter { Category(label: labels[$0], pFake: pFake[$0]) == cat }
                .sorted { (pFake[$0], $0) < (pFake[$1], $1) }
        }
        // How many each category gives: round-robin over the non-empty ones.
        var quota = [Int](repeating: 0, count: groups.count)
        var left = Swift.min(count, labels.count)
        while left > 0 {
            for g in groups.indices where quota[g] < groups[g].count && left > 0 { quota[g] += 1; left -= 1 }
        }
        var chosen: [(Int, Category)] = []
        for (g, members) in groups.enumerated() where quota[g] > 0 {
            let q = quota[g], n = members.count
            // Evenly spaced ranks 0 ... n-1 (q = 1: the middle one).
            let picks = q == 1 ? [n / 2] : (0..<q).map { ($0 * (n - 1)) / (q - 1) }
            chosen += picks.map { (members[$0], Category.allCases[g]) }
        }
        // Rows grouped by category in the enum's order, each group in p_fake order.
        return chosen.map { (position: $0.0, category: $0.1) }
    }
}
