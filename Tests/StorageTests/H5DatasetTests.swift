// Dataset round trips for every element type and several shapes, hyperslab row reads, appendable
// datasets, compression and tensors.

import Core
import Foundation
import Storage
import XCTest

final class H5DatasetTests: XCTestCase {
    func roundTrip<T: H5Element & Equatable>(_ values: [T], shape: [Int], chunkRows: Int? = nil,
                                             compression: Int? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = temporaryH5Path(self)
        do {
            let f = try H5File.create(path)
            try f.write("data/x", values, shape: shape, chunkRows: chunkRows, compression: compression)
        }
        let f = try H5File.open(path)
        let (back, backShape) = try f.read("data/x", as: T.self)
        XCTAssertEqual(back, values, file: file, line: line)
        XCTAssertEqual(backShape, shape, file: file, line: line)
        XCTAssertEqual(try f.shape(of: "data/x"), shape, file: file, line: line)
    }

    func testRoundTripEveryTypeAndShape() throws {
        try roundTrip((0..<24).map { UInt8($0 * 10) }, shape: [2, 3, 4])
        try roundTrip((0..<6).map { Int32($0) - 3 }, shape: [6])
        try roundTrip([Int64.min, -1, 0, 1, Int64.max, 42], shape: [3, 2])
        try roundTrip((0..<120).map { Float($0) * 0.25 - 7 }, shape: [2, 3, 4, 5])
        try roundTrip([Double.pi, -.infinity, 1e-300, 0], shape: [4, 1])
        try roundTrip([Float(3.5)], shape: [])                      // scalar
        try roundTrip([Int32](), shape: [0, 5])                       // empty
        try roundTrip((0..<100).map { Double($0) }, shape: [10, 10], chunkRows: 3)
        try roundTrip((0..<100).map { UInt8($0) }, shape: [25, 4], compression: 4)
    }

    func testOverwriteReplacesDataset() throws {
        let f = try H5File.create(temporaryH5Path(self))
        try f.write("a", [1, 2, 3] as [Int32])
        try f.write("a", [9.5, 8.5] as [Double], shape: [2, 1])
        XCTAssertEqual(try f.read("a", as: Double.self).values, [9.5, 8.5])
        XCTAssertEqual(try f.shape(of: "a"), [2, 1])
    }

    func testReadRowsHyperslab() throws {
        let f = try H5File.create(temporaryH5Path(self))
        let values = (0..<(10 * 2 * 3)).map { Float($0) }
        try f.write("imgs", values, shape: [10, 2, 3], chunkRows: 4, compression: 1)
        var out = [Float](repeating: -1, count: 3 * 6)
        try out.withUnsafeMutableBufferPointer { try f.readRows("imgs", start: 5, count: 3, into: $0.baseAddress!) }
        XCTAssertEqual(out, Array(values[30..<48]))
        XCTAssertEqual(try f.readRows("imgs", start: 9, count: 1, as: Float.self), Array(values[54..<60]))
        XCTAssertEqual(try f.readRows("imgs", start: 10, count: 0, as: Float.self), [])
        XCTAssertThrowsError(try f.readRows("imgs", start: 8, count: 3, as: Float.self)) {
            XCTAssertTrue("\($0)".contains("outside dataset 'imgs' of 10 rows"), "\($0)")
        }
    }

    func testAppendableAcrossSeveralAppends() throws {
        let path = temporaryH5Path(self)
        let rowShape = [3, 2, 2]          // e.g. CHW of a tiny image
        var all: [UInt8] = []
        do {
            let f = try H5File.create(path)
            try f.createAppendable("cache/images", type: UInt8.self, rowShape: rowShape, chunkRows: 4, compression: 3)
            XCTAssertEqual(try f.shape(of: "cache/images"), [0, 3, 2, 2])
            for (k, rows) in [1, 5, 0, 7, 3].enumerated() {
                let chunk = (0..<(rows * 12)).map { UInt8(truncatingIfNeeded: $0 * 7 + k * 31) }
                try f.append("cache/images", rows: chunk, rowCount: rows)
                all += chunk
            }
            XCTAssertThrowsError(try f.append("cache/images", rows: [UInt8](repeating: 0, count: 5), rowCount: 1))
        }
        let f = try H5File.open(path)
        let (back, shape) = try f.read("cache/images", as: UInt8.self)
        XCTAssertEqual(shape, [16, 3, 2, 2])
        XCTAssertEqual(back, all)
        XCTAssertEqual(try f.readRows("cache/images", start: 6, count: 2, as: UInt8.self), Array(all[72..<96]))
    }

    func testConcurrentRowReadsFromOneFile() throws {
        // The serial HDF5 build is thread-safe: several threads may read rows of one open file.
        let path = temporaryH5Path(self)
        let values = (0..<(64 * 300)).map { UInt8(truncatingIfNeeded: $0 * 13) }
        do { try H5File.create(path).write("x", values, shape: [64, 300], chunkRows: 4, compression: 1) }
        let f = try H5File.open(path)
        let lock = NSLock()
        var failures: [String] = []
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            do {
                let rows = try f.readRows("x", start: i, count: 1, as: UInt8.self)
                if rows != Array(values[(i * 300)..<((i + 1) * 300)]) { lock.lock(); failures.append("row \(i) differs"); lock.unlock() }
                _ = f.exists("nope/\(i)")      // a failing lookup on every thread must stay silent and harmless
            } catch { lock.lock(); failures.append("\(error)"); lock.unlock() }
        }
        XCTAssertEqual(failures, [])
    }

    func testCompressionShrinksCompressibleData() throws {
        let values = (0..<200_000).map { UInt8(($0 / 1000) % 7) }
        let plain = temporaryH5Path(self, "plain"), packed = temporaryH5Path(self, "packed")
        do {
            try H5File.create(plain).write("x", values, shape: [200, 1000])
            try H5File.create(packed).write("x", values, shape: [200, 1000], compression: 6)
        }
        XCTAssertGreaterThan(fileSize(plain), 200_000)
        XCTAssertLessThan(fileSize(packed), fileSize(plain) / 10, "deflate should shrink runs of equal bytes")
        XCTAssertEqual(try H5File.open(packed).read("x", as: UInt8.self).values, values)
    }

    func testTensorRoundTrip() throws {
        let f = try H5File.create(temporaryH5Path(self))
        let t = Tensor(shape: [2, 3, 1, 2], values: (0..<12).map { Float($0) / 3 })
        try f.write("model/conv1/weight", tensor: t)
        let back = try f.readTensor("model/conv1/weight")
        XCTAssertEqual(back.shape, t.shape)
        XCTAssertEqual(back.array, t.array)
    }

    func testWriteFromUnsafeBuffer() throws {
        let f = try H5File.create(temporaryH5Path(self))
        let p = UnsafeMutableBufferPointer<Int64>.allocate(capacity: 4)
        defer { p.deallocate() }
        for i in 0..<4 { p[i] = Int64(i * i) }
        try f.write("sq", UnsafeBufferPointer(p), shape: [2, 2])
        XCTAssertEqual(try f.read("sq", as: Int64.self).values, [0, 1, 4, 9])
    }
}
