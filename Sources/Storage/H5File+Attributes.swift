// H5File attributes: small metadata (strings, integers, doubles, double arrays) on the root group,
// a group or a dataset. Setting replaces; getters return nil when the attribute is absent.

import CHDF5
import Core

extension H5File {
    /// Sets a UTF-8 string attribute on `object` ("/" = the file's root group).
    public func setAttribute(_ name: String, _ value: String, on object: String = "/") throws {
        let type = h5StringType()
        defer { H5Tclose(type) }
        try writeAttribute(name, on: object, type: type, dims: nil) { aid in
            withCStringPointers([value]) { H5Awrite(aid, type, $0) }
        }
    }

    /// Sets a 64-bit integer attribute.
    public func setAttribute(_ name: String, _ value: Int, on object: String = "/") throws {
        var v = Int64(value)
        try writeAttribute(name, on: object, type: Int64.h5Type, dims: nil) { H5Awrite($0, Int64.h5Type, &v) }
    }

    /// Sets a float64 attribute.
    public func setAttribute(_ name: String, _ value: Double, on object: String = "/") throws {
        var v = value
        try writeAttribute(name, on: object, type: Double.h5Type, dims: nil) { H5Awrite($0, Double.h5Type, &v) }
    }

    /// Sets a 1-D float64 array attribute.
    public func setAttribute(_ name: String, _ value: [Double], on object: String = "/") throws {
        try writeAttribute(name, on: object, type: Double.h5Type, dims: [value.count]) { aid in
            value.withUnsafeBufferPointer { H5Awrite(aid, Double.h5Type, $0.baseAddress) }
        }
    }

    /// A string attribute, or nil when absent; throws when it holds another type.
    public func attributeString(_ name: String, on object: String = "/") throws -> String? {
        try readAttribute(name, on: object) { aid, ftype, space, n in
            guard H5Tget_class(ftype) == H5T_STRING, n == 1 else { return nil }
            return h5ReadStrings(fileType: ftype, space: space, count: 1) { H5Aread(aid, $0, $1) }?.first
        }
    }

    /// An integer attribute (any stored integer width), or nil when absent.
    public func attributeInt(_ name: String, on object: String = "/") throws -> Int? {
        try readAttribute(name, on: object) { aid, ftype, _, n in
            guard H5Tget_class(ftype) == H5T_INTEGER, n == 1 else { return nil }
            var v: Int64 = 0
            return H5Aread(aid, Int64.h5Type, &v) >= 0 ? Int(v) : nil
        }
    }

    /// A floating-point (or integer) scalar attribute as Double, or nil when absent.
    public func attributeDouble(_ name: String, on object: String = "/") throws -> Double? {
        try attributeDoubles(name, on: object).flatMap { $0.count == 1 ? $0[0] : nil }
    }

    /// A numeric attribute (scalar or 1-D) as [Double], or nil when absent.
    public func attributeDoubles(_ name: String, on object: String = "/") throws -> [Double]? {
        try readAttribute(name, on: object) { aid, ftype, _, n in
            let cls = H5Tget_class(ftype)
            guard cls == H5T_FLOAT || cls == H5T_INTEGER else { return nil }
            var v = [Double](repeating: 0, count: n)
            if n == 0 { return v }
            return v.withUnsafeMutableBufferPointer { H5Aread(aid, Double.h5Type, $0.baseAddress) } >= 0 ? v : nil
        }
    }

    /// Names of the attributes on `object`, in name order.
    public func attributeNames(on object: String = "/") throws -> [String] {
        let f = try handle()
        guard exists(object) else { throw missing("object", object) }
        let oid = H5Oopen(f, H5File.normalized(object), h5Default)
        if oid < 0 { throw failure("cannot open '\(object)'") }
        defer { H5Oclose(oid) }
        var names: [String] = []
        var i: hsize_t = 0
        // Index past the last attribute makes H5Aget_name_by_idx fail: that ends the walk.
        while true {
            let n = H5Aget_name_by_idx(oid, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, h5Default)
            if n < 0 { break }
            var buf = [CChar](repeating: 0, count: Int(n) + 1)
            H5Aget_name_by_idx(oid, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, buf.count, h5Default)
            names.append(String(cString: buf))
            i += 1
        }
        _ = h5LastError()
        return names
    }

    // MARK: - Helpers

    /// Creates (replacing) attribute `name` on `object` with the given type and shape (nil = scalar),
    /// then calls `write` with the attribute id.
    private func writeAttribute(_ name: String, on object: String, type: hid_t, dims: [Int]?,
                                write: (hid_t) -> herr_t) throws {
        let f = try writableHandle()
        guard exists(object) else { throw missing("object", object) }
        let obj = H5File.normalized(object)
        if H5Aexists_by_name(f, obj, name, h5Default) > 0 {
            if H5Adelete_by_name(f, obj, name, h5Default) < 0 { throw failure("cannot replace attribute '\(name)' on '\(object)'") }
        }
        let space = dims.map { d -> hid_t in
            let cur = d.map { hsize_t($0) }
            return H5Screate_simple(Int32(cur.count), cur, nil)
        } ?? H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let aid = H5Acreate_by_name(f, obj, name, type, space, h5Default, h5Default, h5Default)
        if aid < 0 { throw failure("cannot create attribute '\(name)' on '\(object)'") }
        defer { H5Aclose(aid) }
        if write(aid) < 0 { throw failure("cannot write attribute '\(name)' on '\(object)'") }
    }

    /// Opens attribute `name` on `object` and converts it with `convert(aid, fileType, space, count)`;
    /// nil when the attribute is absent, an error naming the stored type when `convert` returns nil.
    private func readAttribute<R>(_ name: String, on object: String,
                                  convert: (hid_t, hid_t, hid_t, Int) -> R?) throws -> R? {
        let f = try handle()
        guard exists(object) else { throw missing("object", object) }
        let obj = H5File.normalized(object)
        guard H5Aexists_by_name(f, obj, name, h5Default) > 0 else { _ = h5LastError(); return nil }
        let aid = H5Aopen_by_name(f, obj, name, h5Default, h5Default)
        if aid < 0 { throw failure("cannot open attribute '\(name)' on '\(object)'") }
        defer { H5Aclose(aid) }
        let ftype = H5Aget_type(aid)
        defer { H5Tclose(ftype) }
        let space = H5Aget_space(aid)
        defer { H5Sclose(space) }
        let n = Int(H5Sget_simple_extent_npoints(space))
        guard let value = convert(aid, ftype, space, n) else {
            throw DeepfakeError("file \(path): attribute '\(name)' on '\(object)' holds \(n) value(s) of \(h5DescribeType(ftype)), not the type asked for")
        }
        return value
    }
}
