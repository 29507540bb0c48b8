// File-level behaviour: groups, listing, exists, strings, attributes, errors, and interop with h5py.

import Core
import Foundation
import Storage
import XCTest

final class H5FileTests: XCTestCase {
    func testGroupsListAndExists() throws {
        let f = try H5File.create(temporaryH5Path(self))
        try f.write("a/b/c", [1.0, 2.0] as [Double])
        try f.write("a/d", [1] as [Int32])
        try f.createGroup("empty/inner")
        XCTAssertTrue(f.exists("/"))
        XCTAssertTrue(f.exists("a/b/c"))
        XCTAssertTrue(f.exists("/a/b"))
        XCTAssertFalse(f.exists("a/x/c"))          // missing intermediate: false, not an error
        XCTAssertFalse(f.exists("nope"))
        XCTAssertTrue(f.isGroup("a/b"))
        XCTAssertTrue(f.isDataset("a/b/c"))
        XCTAssertFalse(f.isDataset("a/b"))
        XCTAssertEqual(try f.list(), ["a", "empty"])
        XCTAssertEqual(try f.list("a"), ["b", "d"])
        XCTAssertEqual(try f.list("empty/inner"), [])
        try f.remove("a/d")
        XCTAssertEqual(try f.list("a"), ["b"])
    }

    func testStringsIncludingNonASCII() throws {
        let path = temporaryH5Path(self)
        let names = ["real/0001.jpg", "fake/Zoë ü 東京.png", "", "emoji 🙂"]
        do { try H5File.create(path).writeStrings("meta/paths", names) }
        let f = try H5File.open(path)
        XCTAssertEqual(try f.readStrings("meta/paths"), names)
        let g = try H5File.create(temporaryH5Path(self))
        try g.writeStrings("none", [])
        XCTAssertEqual(try g.readStrings("none"), [])
    }

    func testAttributes() throws {
        let path = temporaryH5Path(self)
        do {
            let f = try H5File.create(path)
            try f.write("x", [1, 2] as [Float])
            try f.setAttribute("model", "hybrid-qnn ✓")
            try f.setAttribute("epochs", 12)
            try f.setAttribute("lr", 0.003)
            try f.setAttribute("mean", [0.5, 0.25, 0.125], on: "x")
            try f.setAttribute("epochs", 13)                      // replaces
        }
        let f = try H5File.open(path)
        XCTAssertEqual(try f.attributeString("model"), "hybrid-qnn ✓")
        XCTAssertEqual(try f.attributeInt("epochs"), 13)
        XCTAssertEqual(try f.attributeDouble("lr"), 0.003)
        XCTAssertEqual(try f.attributeDouble("epochs"), 13)        // integers widen to Double
        XCTAssertEqual(try f.attributeDoubles("mean", on: "x"), [0.5, 0.25, 0.125])
        XCTAssertNil(try f.attributeString("absent"))
        XCTAssertEqual(try f.attributeNames(), ["epochs", "lr", "model"])
        XCTAssertThrowsError(try f.attributeInt("model")) { XCTAssertTrue("\($0)".contains("holds 1 value(s) of string"), "\($0)") }
        XCTAssertThrowsError(try f.setAttribute("k", 1)) { XCTAssertTrue("\($0)".contains("read-only"), "\($0)") }
    }

    func testErrorsAreCleanAndNameTheProblem() throws {
        let missingPath = temporaryH5Path(self, "definitely-missing")
        XCTAssertThrowsError(try H5File.open(missingPath)) {
            XCTAssertTrue("\($0)".contains("does not exist") && "\($0)".contains(missingPath), "\($0)")
        }
        let junk = temporaryH5Path(self, "junk")
        try Data("not hdf5 at all".utf8).write(to: URL(fileURLWithPath: junk))
        XCTAssertThrowsError(try H5File.open(junk)) { XCTAssertTrue("\($0)".contains("is not an HDF5 file"), "\($0)") }
        XCTAssertThrowsError(try H5File.create("/nonexistent-dir-\(UUID())/x.h5")) {
            XCTAssertTrue("\($0)".contains("cannot create HDF5 file"), "\($0)")
        }

        let path = temporaryH5Path(self)
        let f = try H5File.create(path)
        try f.write("images", [1, 2, 3] as [Float])
        try f.write("g/labels", [1] as [Int64])
        XCTAssertThrowsError(try f.read("labels", as: Int64.self)) {
            let m = "\($0)"
            XCTAssertTrue(m.contains("file \(path) has no dataset 'labels'") && m.contains("holds: g, images"), m)
        }
        XCTAssertThrowsError(try f.read("images", as: UInt8.self)) {
            XCTAssertTrue("\($0)".contains("holds float32, not uint8"), "\($0)")
        }
        XCTAssertThrowsError(try f.read("g", as: Float.self)) { XCTAssertTrue("\($0)".contains("is a group"), "\($0)") }
        XCTAssertThrowsError(try f.readStrings("images")) { XCTAssertTrue("\($0)".contains("not strings"), "\($0)") }
        XCTAssertThrowsError(try f.write("bad", [1, 2, 3] as [Float], shape: [2, 2])) {
            XCTAssertTrue("\($0)".contains("do not fill shape [2, 2]"), "\($0)")
        }
        XCTAssertThrowsError(try f.write("c", [1] as [Float], compression: 11))
        f.close()
        XCTAssertThrowsError(try f.read("images", as: Float.self)) { XCTAssertTrue("\($0)".contains("already closed"), "\($0)") }
    }

    func testReaderWhileWriterHoldsFileOpen() throws {
        // File locking is off for readers, so a reader can open a file another handle is writing.
        let path = temporaryH5Path(self)
        let w = try H5File.create(path)
        try w.write("x", [7] as [Int32])
        try w.flush()
        let r = try H5File.open(path)
        XCTAssertEqual(try r.read("x", as: Int32.self).values, [7])
        r.close()
        w.close()
    }

    /// Another process (h5py) holds the file open for writing, with HDF5's write lock; our read-only
    /// open must still work because it switches file locking off. Needs a Python with h5py (see below).
    func testReadOnlyOpenIgnoresAnotherProcesssWriteLock() throws {
        let python = ProcessInfo.processInfo.environment["DEEPFAKE_PYTHON"] ?? "python3"
        let path = temporaryH5Path(self, "locked")
        do { try H5File.create(path).write("x", [5, 6] as [Int32]) }
        let holder = """
        import sys, h5py
        f = h5py.File(sys.argv[1], "a")
        print("ready", flush=True)
        sys.stdin.read()
        f.close()
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, "-c", holder, path]
        let out = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardInput = inp
        p.standardError = Pipe()
        do { try p.run() } catch { throw XCTSkip("no \(python) to run: skipping the file-locking test") }
        defer { try? inp.fileHandleForWriting.close(); p.waitUntilExit() }
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        guard line.hasPrefix("ready") else {
            // `make test` sets DEEPFAKE_PYTHON to a venv with h5py (scripts/test-python.sh): there this must run.
            if ProcessInfo.processInfo.environment["DEEPFAKE_PYTHON"] != nil { return XCTFail("\(python) could not open the file with h5py") }
            throw XCTSkip("\(python) has no h5py: skipping the file-locking test; set DEEPFAKE_PYTHON to a Python with h5py to run it (make test does)")
        }
        let f = try H5File.open(path)
        XCTAssertEqual(try f.read("x", as: Int32.self).values, [5, 6])
        f.close()
        XCTAssertThrowsError(try H5File.open(path, writable: true)) {     // writers do lock
            XCTAssertTrue("\($0)".contains("another process may hold it open"), "\($0)")
        }
    }

    /// Reads a file written by h5py, when a Python with h5py is available (set DEEPFAKE_PYTHON to
    /// its interpreter; default `python3`, skipping without h5py). `make test`, and so CI, sets it.
    func testReadsFileWrittenByH5py() throws {
        let python = ProcessInfo.processInfo.environment["DEEPFAKE_PYTHON"] ?? "python3"
        let path = temporaryH5Path(self, "h5py")
        let script = """
        import sys, h5py, numpy as np
        with h5py.File(sys.argv[1], "w") as f:
            f["images"] = np.arange(2*4*4*3, dtype=np.uint8).reshape(2, 4, 4, 3)
            f["labels"] = np.array([0, 1], dtype=np.int64)
            f.create_dataset("feat/x", data=np.linspace(0, 1, 6, dtype=np.float32).reshape(3, 2), chunks=(1, 2), compression="gzip", shuffle=True)
            f["names"] = np.array(["a.jpg", "büro.png"], dtype=h5py.string_dtype())
            f["fixed"] = np.array([b"ab", b"cde"], dtype="S3")
            f.attrs["source"] = "h5py"
            f.attrs["count"] = 2
            f["labels"].attrs["classes"] = np.array([0.0, 1.0])
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, "-c", script, path]
        p.standardError = Pipe()
        do { try p.run() } catch { throw XCTSkip("no \(python) to run: skipping the h5py interop test") }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            if ProcessInfo.processInfo.environment["DEEPFAKE_PYTHON"] != nil { return XCTFail("\(python) could not write the file with h5py") }
            throw XCTSkip("\(python) has no h5py/numpy: skipping the h5py interop test; set DEEPFAKE_PYTHON to a Python with h5py to run it (make test does)")
        }
        let f = try H5File.open(path)
        XCTAssertEqual(try f.list(), ["feat", "fixed", "images", "labels", "names"])
        let (imgs, shape) = try f.read("images", as: UInt8.self)
        XCTAssertEqual(shape, [2, 4, 4, 3])
        XCTAssertEqual(imgs, (0..<96).map { UInt8($0) })
        XCTAssertEqual(try f.read("labels", as: Int64.self).values, [0, 1])
        let x = try f.read("feat/x", as: Float.self)
        XCTAssertEqual(x.shape, [3, 2])
        XCTAssertEqual(x.values[5], 1, accuracy: 1e-7)
        XCTAssertEqual(try f.readRows("feat/x", start: 1, count: 1, as: Float.self).count, 2)
        XCTAssertEqual(try f.readStrings("names"), ["a.jpg", "büro.png"])
        XCTAssertEqual(try f.readStrings("fixed"), ["ab", "cde"])
        XCTAssertEqual(try f.attributeString("source"), "h5py")
        XCTAssertEqual(try f.attributeInt("count"), 2)
        XCTAssertEqual(try f.attributeDoubles("classes", on: "labels"), [0, 1])

        // And the other way: h5py reads what H5File writes (the script exits non-zero on a mismatch).
        let ours = temporaryH5Path(self, "ours")
        do {
            let g = try H5File.create(ours)
            try g.write("images", (0..<24).map { UInt8($0) }, shape: [2, 3, 4], compression: 4)
            try g.createAppendable("rows", type: Float.self, rowShape: [2], chunkRows: 2)
            try g.append("rows", rows: [1, 2, 3, 4, 5, 6] as [Float], rowCount: 3)
            try g.writeStrings("names", ["x.jpg", "ü.png"])
            try g.setAttribute("note", "from Swift ✓")
            try g.setAttribute("n", 5)
            try g.setAttribute("v", [0.5, 1.5], on: "images")
            // Pre-filtered chunks of our literal-only deflate (the images cache's default):
            // 2 chunks of 8 rows of 64x64x3 bytes (ramps, value (row + i / 3) % 251).
            try g.createAppendable("cache", type: UInt8.self, rowShape: [64, 64, 3], chunkRows: 8, compression: 1)
            let rowBytes = 64 * 64 * 3
            for c in 0..<2 {
                let rows = (0..<(8 * rowBytes)).map { i in UInt8((c * 8 + i / rowBytes + (i % rowBytes) / 3) % 251) }
                let chunk = rows.withUnsafeBufferPointer { FilteredChunk(rows: $0, chunkBytes: 8 * rowBytes, level: 1, strategy: .huffman) }
                XCTAssertEqual(chunk.filterMask, 0, "the chunk should be deflated")
                try g.writeChunk("cache", index: c, chunk, rows: (c + 1) * 8)
            }
        }
        let check = """
        import sys, h5py, numpy as np
        f = h5py.File(sys.argv[1], "r")
        assert f["images"].shape == (2, 3, 4) and (f["images"][...].ravel() == np.arange(24)).all()
        assert f["images"].compression == "gzip" and f["images"].shuffle
        assert f["rows"].shape == (3, 2) and f["rows"].maxshape == (None, 2) and f["rows"][2, 1] == 6
        assert [s.decode() for s in f["names"][...]] == ["x.jpg", "ü.png"]
        assert f.attrs["note"] == "from Swift ✓" and f.attrs["n"] == 5
        assert list(f["images"].attrs["v"]) == [0.5, 1.5]
        c = f["cache"][...].reshape(16, -1).astype(int)
        i = np.arange(64 * 64 * 3)
        assert f["cache"].compression == "gzip" and all((c[r] == (r + i // 3) % 251).all() for r in range(16))
        """
        let q = Process()
        q.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        q.arguments = [python, "-c", check, ours]
        try q.run()
        q.waitUntilExit()
        XCTAssertEqual(q.terminationStatus, 0, "h5py could not read or verify a file written by H5File")
    }
}
