// Pre-filtered chunk writes: the images cache compresses its HDF5 chunks on worker threads and
// writes the finished bytes with H5Dwrite_chunk, instead of H5Dwrite running the deflate filter
// serially inside the library (deflate was 41% of preprocessing time). The file is the same kind
// any HDF5 reader (h5py included) opens: a chunked dataset with the shuffle and deflate filters,
// whose chunks hold zlib streams.
//
// Only 1-byte elements: HDF5's shuffle filter leaves them as they are, so a chunk's stored bytes
// are just the zlib stream of its raw bytes.

import CHDF5
import Core

/// How zlib searches for matches. Measured on hard1k at 64x64 (15.8 MB of pixels): level 1
/// stores 1.166x smaller at ~2.5 ms/image, run-length 1.055x at ~0.9 ms/image (1 thread); small
/// photos have few long repeats, so the match search costs far more than it saves.
public enum DeflateStrategy: String, Sendable, CaseIterable {
    /// zlib's default match search (what HDF5's own deflate filter does).
    case standard
    /// Z_RLE: matches of distance one only (runs), much faster.
    case runLength

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
        guard let padded else {
            return df_deflate_chunk(rows.baseAddress, chunkBytes, out.baseAddress, chunkBytes, Int32(level), strategy.zlibValue)
        }
        return padded.withUnsafeBufferPointer {
            df_deflate_chunk($0.baseAddress, chunkBytes, out.baseAddress, chunkBytes, Int32(level), strategy.zlibValue)
        }
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
