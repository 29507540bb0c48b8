// Pre-filtered chunk writes (ChunkWriter.swift): chunks deflated outside HDF5 and stored with
// H5Dwrite_chunk read back exactly as the rows HDF5's own filter pipeline stores (short last
// chunk, both strategies, an incompressible chunk kept raw), bad chunks are refused with a
// message, and a corrupted chunk is an error on reading, not wrong pixels.

import Core
import Foundation
import XCTest
@testable import Storage

final class ChunkWriterTests: XCTestCase {
    let rowShape = [6, 5, 3], chunkRows = 4
    var rowSize: Int { rowShape.reduce(1, *) }

    /// Image-like rows: smooth ramps plus a little noise, so deflate has something to find.
    func rows(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
        var rng = SeededRNG(seed: seed)
        return (0..<(count * rowSize)).map { i in UInt8((i % 90) + Int(rng.uniform() * 6)) }
    }

    /// Writes `values` (whole rows) as pre-filtered chunks into a new shuffle+deflate dataset.
    func writeChunked(_ path: String, _ values: [UInt8], strategy: DeflateStrategy, level: Int = 1) throws -> [FilteredChunk] {
        let f = try H5File.create(path)
        try f.createAppendable("images", type: UInt8.self, rowShape: rowShape, chunkRows: chunkRows, compression: level)
        let count = values.count / rowSize
        var chunks: [FilteredChunk] = []
        try values.withUnsafeBufferPointer { all in
            for c in 0..<((count + chunkRows - 1) / chunkRows) {
                let hi = min(count, (c + 1) * chunkRows)
                let chunk = FilteredChunk(rows: UnsafeBufferPointer(rebasing: all[(c * chunkRows * rowSize)..<(hi * rowSize)]),
                                          chunkBytes: chunkRows * rowSize, level: level, strategy: strategy)
                try f.writeChunk("images", index: c, chunk, rows: hi)
                chunks.append(chunk)
            }
        }
        try f.finish()
        return chunks
    }

    func testPreFilteredChunksReadBackAsTheFilterPipelineWritesThem() throws {
        let values = rows(10)   // two full chunks and a short one of 2 rows
        let pipeline = temporaryH5Path(self, "pipeline")
        let f = try H5File.create(pipeline)
        try f.createAppendable("images", type: UInt8.self, rowShape: rowShape, chunkRows: chunkRows, compression: 1)
        try f.append("images", rows: Array(values[0..<(7 * rowSize)]), rowCount: 7)
        try f.append("images", rows: Array(values[(7 * rowSize)...]), rowCount: 3)
        try f.finish()
        let reference = try H5File.open(pipeline)
        let expected = try reference.read("images", as: UInt8.self)
        reference.close()
        XCTAssertEqual(expected.values, values)
        for strategy in DeflateStrategy.allCases {
            let path = temporaryH5Path(self, "chunks-\(strategy)")
            let chunks = try writeChunked(path, values, strategy: strategy)
            XCTAssertTrue(chunks.allSatisfy { $0.filterMask == 0 && $0.bytes.count < chunkRows * rowSize }, "\(strategy): chunks should be deflated")
            let r = try H5File.open(path)
            defer { r.close() }
            let got = try r.read("images", as: UInt8.self)
            XCTAssertEqual(got.shape, [10] + rowShape, "\(strategy)")
            XCTAssertEqual(got.values, expected.values, "\(strategy): pixels differ from the filter pipeline's file")
            XCTAssertEqual(try r.readRows("images", start: 7, count: 3, as: UInt8.self), Array(values[(7 * rowSize)...]))
        }
    }

    func testIncompressibleChunkIsStoredRawWithDeflateMaskedOff() throws {
        var rng = SeededRNG(seed: 9)
        let values = (0..<(5 * rowSize)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let path = temporaryH5Path(self, "raw")
        let chunks = try writeChunked(path, values, strategy: .runLength, level: 9)
        XCTAssertEqual(chunks.first?.filterMask, 0b10, "random bytes do not shrink: the chunk should be kept raw")
        let r = try H5File.open(path)
        defer { r.close() }
        XCTAssertEqual(try r.read("images", as: UInt8.self).values, values)
    }

    func testBadChunksAreRefusedWithTheirReason() throws {
        let path = temporaryH5Path(self, "bad")
        let f = try H5File.create(path)
        defer { f.abandon() }
        try f.createAppendable("images", type: UInt8.self, rowShape: rowShape, chunkRows: chunkRows, compression: 1)
        try f.write("plain", [UInt8](repeating: 1, count: 8))
        let data = rows(4)
        let chunk = data.withUnsafeBufferPointer { FilteredChunk(rows: $0, chunkBytes: chunkRows * rowSize, level: 1, strategy: .runLength) }
        XCTAssertThrowsError(try f.writeChunk("images", index: 1, chunk, rows: 4)) { e in
            XCTAssertTrue("\(e)".contains("cannot hold rows up to 4"), "\(e)")
        }
        XCTAssertThrowsError(try f.writeChunk("plain", index: 0, chunk, rows: 4)) { e in
            XCTAssertTrue("\(e)".contains("not a chunked dataset"), "\(e)")
        }
        // A raw (incompressible) chunk filtered for another chunk size.
        var rng = SeededRNG(seed: 4)
        let noise = (0..<(2 * chunkRows * rowSize)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let wrongSize = noise.withUnsafeBufferPointer { FilteredChunk(rows: $0, chunkBytes: 2 * chunkRows * rowSize, level: 1, strategy: .runLength) }
        XCTAssertThrowsError(try f.writeChunk("images", index: 0, wrongSize, rows: 4)) { e in
            XCTAssertTrue("\(e)".contains("whose chunks have"), "\(e)")
        }
    }

    func testCorruptedChunkIsAReadErrorNotWrongPixels() throws {
        let path = temporaryH5Path(self, "corrupt")
        let values = rows(8)
        let chunks = try writeChunked(path, values, strategy: .standard)
        // Overwrite the second chunk's zlib stream in the file with garbage of the same length.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let stream = Data(chunks[1].bytes)
        let at = try XCTUnwrap(bytes.range(of: stream)).lowerBound
        for i in 2..<stream.count { bytes[at + i] = 0xA5 }
        try bytes.write(to: URL(fileURLWithPath: path))
        let r = try H5File.open(path)
        defer { r.close() }
        XCTAssertEqual(try r.readRows("images", start: 0, count: 4, as: UInt8.self), Array(values[0..<(4 * rowSize)]))
        XCTAssertThrowsError(try r.read("images", as: UInt8.self)) { e in
            XCTAssertTrue("\(e)".contains("images"), "the error should name the dataset: \(e)")
        }
    }
}
