// H5File datasets: whole-array write/read, shapes, hyperslab row reads, and appendable (streamed)
// datasets with optional shuffle+deflate compression.

import CHDF5
import Core

extension H5File {
    /// Writes `values` (row-major, `shape.product` elements) as dataset `name`, replacing any existing
    /// dataset of that name and creating intermediate groups. `shape` defaults to 1-D; `[]` is a scalar.
    /// - chunkRows: chunk height along the first dimension (chunked layout); defaults to about 1 MiB
    ///   per chunk when compression is on, contiguous layout otherwise.
    /// - compression: deflate level 0...9, applied after the byte-shuffle filter.
    public func write<T: H5Element>(_ name: String, _ values: UnsafeBufferPointer<T>, shape: [Int]? = nil,
                                    chunkRows: Int? = nil, compression: Int? = nil) throws {
        let f = try writableHandle()
        let dims = shape ?? [values.count]
        guard dims.allSatisfy({ $0 >= 0 }), dims.reduce(1, *) == values.count else {
            throw DeepfakeError("file \(path): cannot write dataset '\(name)': \(values.count) values do not fill shape \(dims)")
        }
        if exists(name) {
            guard isDataset(name) else { throw DeepfakeError("file \(path): cannot write dataset '\(name)': a group has that name") }
            try remove(name)
        }
        let space = try makeSpace(dims, maxRows: nil, name: name)
        defer { H5Sclose(space) }
        let rowElements = dims.dropFirst().reduce(1, *)
        let canChunk = !dims.isEmpty && values.count > 0
        var rows: Int? = chunkRows
        if rows == nil && compression != nil && canChunk {
            rows = max(1, (1 << 20) / max(1, rowElements * MemoryLayout<T>.stride))
        }
        let dcpl = try makeCreationList(dims: dims, chunkRows: canChunk ? rows : nil, compression: canChunk ? compression : nil,
                                        name: name)
        defer { H5Pclose(dcpl) }
        let lcpl = H5File.linkCreationList()
        defer { H5Pclose(lcpl) }
        let did = H5Dcreate2(f, H5File.normalized(name), T.h5Type, space, lcpl, dcpl, h5Default)
        if did < 0 { throw failure("cannot create dataset '\(name)'") }
        defer { H5Dclose(did) }
        if values.count > 0, H5Dwrite(did, T.h5Type, H5S_ALL, H5S_ALL, h5Default, values.baseAddress) < 0 {
            throw failure("cannot write dataset '\(name)'")
        }
    }

    /// Array form of `write(_:_:shape:chunkRows:compression:)`.
    public func write<T: H5Element>(_ name: String, _ values: [T], shape: [Int]? = nil,
                                    chunkRows: Int? = nil, compression: Int? = nil) throws {
        try values.withUnsafeBufferPointer {
            try write(name, $0, shape: shape, chunkRows: chunkRows, compression: compression)
        }
    }

    /// Reads a whole dataset; it must hold exactly `T` (see `H5Element`). Returns row-major values and
    /// the shape (`[]` for a scalar).
    public func read<T: H5Element>(_ name: String, as type: T.Type = T.self) throws -> (values: [T], shape: [Int]) {
        let did = try openDataset(name)
        defer { H5Dclose(did) }
        try checkType(did, T.self, name)
        let dims = try datasetShape(did, name)
        let n = dims.reduce(1, *)
        var status: herr_t = 0
        let values = [T](unsafeUninitializedCapacity: n) { buf, count in
            if n > 0 { status = H5Dread(did, T.h5Type, H5S_ALL, H5S_ALL, h5Default, buf.baseAddress) }
            if status < 0 { buf.initialize(repeating: T.h5Zero) }
            count = n
        }
        if status < 0 { throw failure("cannot read dataset '\(name)'") }
        return (values, dims)
    }

    /// The shape of dataset `name` (`[]` for a scalar).
    public func shape(of name: String) throws -> [Int] {
        let did = try openDataset(name)
        defer { H5Dclose(did) }
        return try datasetShape(did, name)
    }

    /// Reads rows `start ..< start+count` along the first dimension into `into`, which must have room
    /// for `count * (product of the other dimensions)` elements. A hyperslab read: only those rows
    /// (their chunks) are read from disk.
    public func readRows<T: H5Element>(_ name: String, start: Int, count: Int, into: UnsafeMutablePointer<T>) throws {
        let did = try openDataset(name)
        defer { H5Dclose(did) }
        try checkType(did, T.self, name)
        let dims = try datasetShape(did, name)
        guard let total = dims.first else {
            throw DeepfakeError("file \(path): dataset '\(name)' is a scalar: read it with read(_:as:)")
        }
        guard start >= 0, count >= 0, start + count <= total else {
            throw DeepfakeError("file \(path): rows \(start)..<\(start + count) are outside dataset '\(name)' of \(total) rows")
        }
        if count == 0 { return }
        let fileSpace = H5Dget_space(did)
        defer { H5Sclose(fileSpace) }
        var offset = [hsize_t](repeating: 0, count: dims.count)
        offset[0] = hsize_t(start)
        var block = dims.map { hsize_t($0) }
        block[0] = hsize_t(count)
        if H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, offset, nil, block, nil) < 0 {
            throw failure("cannot select rows \(start)..<\(start + count) of '\(name)'")
        }
        let memSpace = H5Screate_simple(Int32(block.count), block, nil)
        defer { H5Sclose(memSpace) }
        if H5Dread(did, T.h5Type, memSpace, fileSpace, h5Default, into) < 0 {
            throw failure("cannot read rows \(start)..<\(start + count) of '\(name)'")
        }
    }

    /// Array form of `readRows(_:start:count:into:)`.
    public func readRows<T: H5Element>(_ name: String, start: Int, count: Int, as type: T.Type = T.self) throws -> [T] {
        let rowElements = try shape(of: name).dropFirst().reduce(1, *)
        var out = [T](repeating: T.h5Zero, count: count * rowElements)
        try out.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            try readRows(name, start: start, count: count, into: base)
        }
        return out
    }

    /// Creates an empty dataset of shape `[0] + rowShape` that grows along the first dimension with
    /// `append`: for streaming images into a cache without holding them all in memory. Replaces any
    /// existing dataset of that name. `compression` is a deflate level (with shuffle), or nil.
    public func createAppendable<T: H5Element>(_ name: String, type: T.Type, rowShape: [Int], chunkRows: Int,
                                               compression: Int? = nil) throws {
        let f = try writableHandle()
        guard chunkRows > 0, rowShape.allSatisfy({ $0 > 0 }) else {
            throw DeepfakeError("file \(path): appendable dataset '\(name)' needs chunkRows > 0 and positive row dimensions (got \(chunkRows), \(rowShape))")
        }
        if exists(name) {
            guard isDataset(name) else { throw DeepfakeError("file \(path): cannot create dataset '\(name)': a group has that name") }
            try remove(name)
        }
        let dims = [0] + rowShape
        let space = try makeSpace(dims, maxRows: -1, name: name)
        defer { H5Sclose(space) }
        let dcpl = try makeCreationList(dims: dims, chunkRows: chunkRows, compression: compression, name: name)
        defer { H5Pclose(dcpl) }
        let lcpl = H5File.linkCreationList()
        defer { H5Pclose(lcpl) }
        let did = H5Dcreate2(f, H5File.normalized(name), T.h5Type, space, lcpl, dcpl, h5Default)
        if did < 0 { throw failure("cannot create appendable dataset '\(name)'") }
        H5Dclose(did)
    }

    /// Appends `rowCount` rows (row-major, `rowCount * rowShape.product` elements) to a dataset made by
    /// `createAppendable`.
    public func append<T: H5Element>(_ name: String, rows: UnsafeBufferPointer<T>, rowCount: Int) throws {
        _ = try writableHandle()
        let did = try openDataset(name)
        defer { H5Dclose(did) }
        try checkType(did, T.self, name)
        let dims = try datasetShape(did, name)
        let rowElements = dims.dropFirst().reduce(1, *)
        guard !dims.isEmpty, rowCount >= 0, rows.count == rowCount * rowElements else {
            throw DeepfakeError("file \(path): cannot append to '\(name)' of shape \(dims): \(rows.count) values are not \(rowCount) rows of \(rowElements)")
        }
        if rowCount == 0 { return }
        var newDims = dims.map { hsize_t($0) }
        newDims[0] += hsize_t(rowCount)
        if H5Dset_extent(did, newDims) < 0 {
            throw failure("cannot extend '\(name)' (was it made by createAppendable?)")
        }
        let fileSpace = H5Dget_space(did)
        defer { H5Sclose(fileSpace) }
        var offset = [hsize_t](repeating: 0, count: dims.count)
        offset[0] = hsize_t(dims[0])
        var block = newDims
        block[0] = hsize_t(rowCount)
        if H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, offset, nil, block, nil) < 0 {
            throw failure("cannot select the appended rows of '\(name)'")
        }
        let memSpace = H5Screate_simple(Int32(block.count), block, nil)
        defer { H5Sclose(memSpace) }
        if H5Dwrite(did, T.h5Type, memSpace, fileSpace, h5Default, rows.baseAddress) < 0 {
            throw failure("cannot append \(rowCount) rows to '\(name)'")
        }
    }

    /// Array form of `append(_:rows:rowCount:)`.
    public func append<T: H5Element>(_ name: String, rows: [T], rowCount: Int) throws {
        try rows.withUnsafeBufferPointer { try append(name, rows: $0, rowCount: rowCount) }
    }

    // MARK: - Tensors (Float32 checkpoints and features)

    /// Writes a tensor's elements with its shape.
    public func write(_ name: String, tensor: Tensor, compression: Int? = nil) throws {
        try write(name, UnsafeBufferPointer(tensor.buffer), shape: tensor.shape, compression: compression)
    }

    /// Reads a float32 dataset as a new tensor of the stored shape.
    public func readTensor(_ name: String) throws -> Tensor {
        let did = try openDataset(name)
        defer { H5Dclose(did) }
        try checkType(did, Float.self, name)
        let dims = try datasetShape(did, name)
        let t = Tensor(zeros: dims)
        if t.count > 0, H5Dread(did, Float.h5Type, H5S_ALL, H5S_ALL, h5Default, t.data) < 0 {
            throw failure("cannot read dataset '\(name)'")
        }
        return t
    }

    // MARK: - Helpers

    /// A simple dataspace (scalar when `dims` is empty); `maxRows == -1` makes the first dimension unlimited.
    func makeSpace(_ dims: [Int], maxRows: Int?, name: String) throws -> hid_t {
        if dims.isEmpty { return H5Screate(H5S_SCALAR) }
        let cur = dims.map { hsize_t($0) }
        var max = cur
        if maxRows == -1 { max[0] = df_H5S_UNLIMITED() }
        let space = H5Screate_simple(Int32(dims.count), cur, max)
        if space < 0 { throw failure("cannot make a dataspace of shape \(dims) for '\(name)'") }
        return space
    }

    /// A dataset-creation list: chunked along rows when `chunkRows` is set, with shuffle+deflate.
    func makeCreationList(dims: [Int], chunkRows: Int?, compression: Int?, name: String) throws -> hid_t {
        let dcpl = H5Pcreate(df_H5P_DATASET_CREATE())
        if let level = compression, !(0...9).contains(level) {
            H5Pclose(dcpl)
            throw DeepfakeError("file \(path): compression level \(level) for '\(name)' is not a deflate level 0...9")
        }
        guard let rows = chunkRows ?? (compression != nil ? 1 : nil), !dims.isEmpty else { return dcpl }
        var chunk = dims.map { hsize_t(Swift.max($0, 1)) }
        chunk[0] = hsize_t(Swift.max(1, dims[0] == 0 ? rows : Swift.min(rows, dims[0])))
        var ok = H5Pset_chunk(dcpl, Int32(chunk.count), chunk) >= 0
        if let level = compression {
            ok = ok && H5Pset_shuffle(dcpl) >= 0 && H5Pset_deflate(dcpl, UInt32(level)) >= 0
        }
        if !ok {
            H5Pclose(dcpl)
            throw failure("cannot set chunking/compression for '\(name)'")
        }
        return dcpl
    }

    /// The current dimensions of an open dataset.
    func datasetShape(_ did: hid_t, _ name: String) throws -> [Int] {
        let space = H5Dget_space(did)
        if space < 0 { throw failure("cannot get the dataspace of '\(name)'") }
        defer { H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        if rank < 0 { throw failure("cannot get the rank of '\(name)'") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        if rank > 0 { H5Sget_simple_extent_dims(space, &dims, nil) }
        return dims.map { Int($0) }
    }

    /// Throws unless the dataset's stored type is exactly `T` (no silent narrowing conversions).
    func checkType<T: H5Element>(_ did: hid_t, _: T.Type, _ name: String) throws {
        let ftype = H5Dget_type(did)
        defer { H5Tclose(ftype) }
        let native = H5Tget_native_type(ftype, H5T_DIR_ASCEND)
        defer { if native >= 0 { H5Tclose(native) } }
        if native < 0 || H5Tequal(native, T.h5Type) <= 0 {
            _ = h5LastError()
            throw DeepfakeError("file \(path): dataset '\(name)' holds \(h5DescribeType(ftype)), not \(T.h5Name): read it as the matching Swift type")
        }
    }
}
