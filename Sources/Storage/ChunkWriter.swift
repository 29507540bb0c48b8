// Pre-filtered chunk writes: the images cache compresses its HDF5 chunks on worker threads and
// writes the finished bytes with H5Dwrite_chunk, instead of H5Dwrite running the deflate filter
// serially inside the library (deflate was 41% of preprocessing time). The file is the same kind
// any HDF5 reader (h5py included) opens: a chunked dataset with the shuffle and deflate filters,
// whose chunks hold zlib streams.
//
// Only 1-byte elements: HDF5's shuffle filter leaves them as they are, so a chunk's stored bytes
// are just the zlib stream of its raw bytes.

import CHDF5
import CHuffmanDeflate
import Core

/// How a chunk's deflate stream is made. Measured on hard1k at 64x64 (15.8 MB of pixels): zlib
/// level 1 stores 1.166x smaller at ~2.5 ms/image, run-length 1.055x at ~0.9 ms/image (1 thread);
/// small photos have few long repeats, so the match search costs far more than it saves. On
/// deepfake2k's pixels (640 images, one thread, zlib 1.2.13): run-length 1.047x at 82 MB/s,
/// zlib's Huffman-only 1.042x at 87 MB/s; `huffman` (literals only, our encoder) about the same
/// size at several times the speed (benchmarks/README.md, "Literal-only deflate").
public enum DeflateStrategy: String, Sendable, CaseIterable {
    /// zlib's default match search (what HDF5's own deflate filter does).
    case standard
    /// Z_RLE: matches of distance one only (runs), much faster.
    case runLength
    /// Literals only, dynamic Huffman codes per 64 KiB (CHuffmanDeflate): no match search at all;
    /// zlib's run-length search where that does not shrink a chunk.
    case huffman

    var zlibValue: Int32 { self == .standard ? Z_DEFAULT_STRATEGY : Z_RLE }
}

/// One chunk ready for `H5File.writeChunk`: the stored bytes and HDF5's filter mask (bit 1 set:
/// deflate skipped, the chunk did not shrink and is stored raw, as HDF5 itself does then).
public struct FilteredChunk: Sendable {
    public let bytes: [UInt8]
    public let filterMask: UInt32

    /// The chunk of `rows` (at most `chunkBytes` bytes; a short last chunk is padded with zeros
    /// to the full chunk, which HDF5 stores whole) compressed at deflate `level`.
    public init(rows: UnsafeBufferPointer<UInt8>, chunkBytes: Int, level: Int, strategy: DeflateStrategy) {
        precondition(rows.count <= chunkBytes && (0...9).contains(level), "a chunk holds at most chunkBytes bytes; deflate levels are 0...9")
        // A full chunk is compressed where it lies; only a short last one is copied, to pad it.
        var padded: [UInt8]?
        if rows.count < chunkBytes {
            padded = [UInt8](repeating: 0, count: chunkBytes)
            padded!.withUnsafeMutableBufferPointer { _ = $0.initialize(from: rows) }
        }
        // Deflate writes straight into the (uninitialised) result; n == 0: it would not shrink.
        var n = 0
        let compressed = [UInt8](unsafeUninitializedCapacity: chunkBytes) { out, count in
            n = Self.deflate(padded, rows, into: out, chunkBytes: chunkBytes, level: level, strategy: strategy)
            count = n
        }
        if n == 0 {
            bytes = padded ?? Array(rows); filterMask = 0b10
        } else {
            bytes = compressed; filterMask = 0
        }
    }

    private static func deflate(_ padded: [UInt8]?, _ rows: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>,
                                chunkBytes: Int, level: Int, strategy: DeflateStrategy) -> Int {
        func run(_ src: UnsafePointer<UInt8>?) -> Int {
            // Level 0 asks for stored blocks: zlib makes those whatever the strategy. A chunk that
            // literals alone do not shrink (a tiny one: each 64 KiB block carries its code) gets
            // zlib's run-length search before it is stored raw.
            if strategy == .huffman && level > 0 {
                let n = hd_compress(src, chunkBytes, out.baseAddress, chunkBytes)
                if n > 0 { return n }
            }
            return df_deflate_chunk(src, chunkBytes, out.baseAddress, chunkBytes, Int32(level), strategy.zlibValue)
        }
        guard let padded else { return run(rows.baseAddress) }
        return padded.withUnsafeBufferPointer { run($0.baseAddress) }
    }
}

extension H5File {
    /// Writes chunk `index` (rows index*chunkRows ..< (index+1)*chunkRows) of a uint8 dataset
    /// made by `createAppendable` with shuffle+deflate, growing its row count to at least `rows`.
    /// The chunk must have been filtered for this dataset's chunk size.
    public func writeChunk(_ name: String, index: Int, _ chunk: FilteredChunk, rows: Int) throws {
        _ = try writableHandle()
        let did = try openDataset(name)
        defer { H5Dclose(did) }
        try checkType(did, UInt8.self, name)
        let dims = try datasetShape(did, name)
        let dcpl = H5Dget_create_plist(did)
        defer { H5Pclose(dcpl) }
        var chunkDims = [hsize_t](repeating: 0, count: dims.count)
        guard !dims.isEmpty, H5Pget_chunk(dcpl, Int32(dims.count), &chunkDims) == Int32(dims.count) else {
            throw DeepfakeError("file \(path): '\(name)' is not a chunked dataset: make it with createAppendable")
        }
        let chunkRows = Int(chunkDims[0])
        let chunkBytes = chunkDims.reduce(1) { $0 * Int($1) }
        guard chunk.filterMask != 0 || chunk.bytes.count <= chunkBytes, index >= 0, rows > index * chunkRows,
              rows <= (index + 1) * chunkRows || rows <= dims[0] else {
            throw DeepfakeError("file \(path): chunk \(index) of '\(name)' (chunks of \(chunkRows) rows) cannot hold rows up to \(rows)")
        }
        if chunk.filterMask != 0 && chunk.bytes.count != chunkBytes {
            throw DeepfakeError("file \(path): unfiltered chunk of \(chunk.bytes.count) bytes for '\(name)', whose chunks have \(chunkBytes)")
        }
        if rows > dims[0] {
            var newDims = dims.map { hsize_t($0) }
            newDims[0] = hsize_t(rows)
            if H5Dset_extent(did, newDims) < 0 { throw failure("cannot extend '\(name)' to \(rows) rows") }
        }
        var offset = [hsize_t](repeating: 0, count: dims.count)
        offset[0] = hsize_t(index * chunkRows)
        let rc = chunk.bytes.withUnsafeBytes {
            H5Dwrite_chunk(did, h5Default, chunk.filterMask, offset, chunk.bytes.count, $0.baseAddress)
        }
        if rc < 0 { throw failure("cannot write chunk \(index) of '\(name)'") }
    }
}
