// H5File strings: 1-D datasets of UTF-8 variable-length strings (as h5py writes `str` arrays), plus
// the string conversion shared with string attributes. Fixed-length strings are read too.

import CHDF5
import Core
import Foundation

extension H5File {
    /// Writes `values` as a 1-D dataset of variable-length UTF-8 strings, replacing any existing one.
    public func writeStrings(_ name: String, _ values: [String]) throws {
        let f = try writableHandle()
        if exists(name) {
            guard isDataset(name) else { throw DeepfakeError("file \(path): cannot write dataset '\(name)': a group has that name") }
            try remove(name)
        }
        let type = h5StringType()
        defer { H5Tclose(type) }
        let space = try makeSpace([values.count], maxRows: nil, name: name)
        defer { H5Sclose(space) }
        let lcpl = H5File.linkCreationList()
        defer { H5Pclose(lcpl) }
        let did = H5Dcreate2(f, H5File.normalized(name), type, space, lcpl, h5Default, h5Default)
        if did < 0 { throw failure("cannot create string dataset '\(name)'") }
        defer { H5Dclose(did) }
        if values.isEmpty { return }
        let ok = withCStringPointers(values) { ptrs in
            H5Dwrite(did, type, H5S_ALL, H5S_ALL, h5Default, ptrs) >= 0
        }
        if !ok { throw failure("cannot write string dataset '\(name)'") }
    }

    /// Reads a 1-D (or scalar) string dataset, variable- or fixed-length.
    public func readStrings(_ name: String) throws -> [String] {
        let did = try openDataset(name)
        defer { H5Dclose(did) }
        let ftype = H5Dget_type(did)
        defer { H5Tclose(ftype) }
        let space = H5Dget_space(did)
        defer { H5Sclose(space) }
        guard H5Tget_class(ftype) == H5T_STRING else {
            throw DeepfakeError("file \(path): dataset '\(name)' holds \(h5DescribeType(ftype)), not strings: read it with read(_:as:)")
        }
        let n = Int(H5Sget_simple_extent_npoints(space))
        guard let strings = h5ReadStrings(fileType: ftype, space: space, count: n, read: { mem, buf in
            H5Dread(did, mem, H5S_ALL, H5S_ALL, h5Default, buf)
        }) else { throw failure("cannot read string dataset '\(name)'") }
        return strings
    }
}

/// A variable-length UTF-8 string type (caller closes it).
func h5StringType() -> hid_t {
    let type = H5Tcopy(df_H5T_C_S1())
    H5Tset_size(type, df_H5T_VARIABLE())
    H5Tset_cset(type, H5T_CSET_UTF8)
    return type
}

/// Calls `body` with a C array of `strdup`ed copies of `values`, freeing them afterwards.
func withCStringPointers<R>(_ values: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var ptrs: [UnsafeMutablePointer<CChar>?] = values.map { strdup($0) }
    defer { for p in ptrs { free(p) } }
    return ptrs.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}

/// Reads `count` strings of stored type `fileType` through `read(memType, buffer)` (an H5Dread or
/// H5Aread closure); nil when the read fails. Variable-length buffers are reclaimed after copying.
func h5ReadStrings(fileType: hid_t, space: hid_t, count: Int,
                   read: (hid_t, UnsafeMutableRawPointer) -> herr_t) -> [String]? {
    if count == 0 { return [] }
    let cset = H5Tget_cset(fileType)
    if H5Tis_variable_str(fileType) > 0 {
        let mem = H5Tcopy(df_H5T_C_S1())
        defer { H5Tclose(mem) }
        H5Tset_size(mem, df_H5T_VARIABLE())
        H5Tset_cset(mem, cset)
        var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        let status = ptrs.withUnsafeMutableBytes { read(mem, $0.baseAddress!) }
        if status < 0 { return nil }
        let out = ptrs.map { $0.map { String(cString: $0) } ?? "" }
        _ = ptrs.withUnsafeMutableBytes { H5Dvlen_reclaim(mem, space, h5Default, $0.baseAddress!) }
        return out
    }
    // Fixed-length: `size` bytes each, null-terminated, null-padded or space-padded.
    let size = H5Tget_size(fileType)
    let mem = H5Tcopy(fileType)
    defer { H5Tclose(mem) }
    var bytes = [UInt8](repeating: 0, count: count * size)
    let status = bytes.withUnsafeMutableBytes { read(mem, $0.baseAddress!) }
    if status < 0 { return nil }
    let spacePadded = H5Tget_strpad(fileType) == H5T_STR_SPACEPAD
    return (0..<count).map { i in
        var slice = bytes[(i * size)..<((i + 1) * size)]
        if let nul = slice.firstIndex(of: 0) { slice = slice[..<nul] }
        var s = String(decoding: slice, as: UTF8.self)
        if spacePadded { while s.hasSuffix(" ") { s.removeLast() } }
        return s
    }
}
