// H5Element: the numeric element types Storage reads and writes, each mapped to its native HDF5 type.

import CHDF5

/// A numeric type stored as an HDF5 dataset element. Reads are strict: a dataset must hold exactly this
/// type (class, size and sign), so a float32 dataset is never silently truncated into UInt8.
public protocol H5Element {
    /// The native HDF5 memory type for this element (an id owned by the library: never close it).
    static var h5Type: hid_t { get }
    /// A short name used in error messages ("uint8", "float32", ...).
    static var h5Name: String { get }
    /// Zero, for allocating output buffers.
    static var h5Zero: Self { get }
}

extension UInt8: H5Element {
    public static var h5Type: hid_t { df_H5T_NATIVE_UINT8() }
    public static var h5Name: String { "uint8" }
    public static var h5Zero: UInt8 { 0 }
}

extension Int32: H5Element {
    public static var h5Type: hid_t { df_H5T_NATIVE_INT32() }
    public static var h5Name: String { "int32" }
    public static var h5Zero: Int32 { 0 }
}

extension Int64: H5Element {
    public static var h5Type: hid_t { df_H5T_NATIVE_INT64() }
    public static var h5Name: String { "int64" }
    public static var h5Zero: Int64 { 0 }
}

extension Float: H5Element {
    public static var h5Type: hid_t { df_H5T_NATIVE_FLOAT() }
    public static var h5Name: String { "float32" }
    public static var h5Zero: Float { 0 }
}

extension Double: H5Element {
    public static var h5Type: hid_t { df_H5T_NATIVE_DOUBLE() }
    public static var h5Name: String { "float64" }
    public static var h5Zero: Double { 0 }
}

/// Describes a stored HDF5 datatype in the vocabulary of `H5Element.h5Name` ("int64", "float32",
/// "string", ...), for error messages that tell the caller which Swift type to read it as.
func h5DescribeType(_ type: hid_t) -> String {
    let size = H5Tget_size(type)
    switch H5Tget_class(type) {
    case H5T_INTEGER:
        let signed = H5Tget_sign(type) == H5T_SGN_2
        return "\(signed ? "int" : "uint")\(size * 8)"
    case H5T_FLOAT: return "float\(size * 8)"
    case H5T_STRING: return "string"
    case H5T_COMPOUND: return "compound"
    case H5T_ENUM: return "enum"
    case H5T_ARRAY: return "array"
    case H5T_VLEN: return "variable-length sequence"
    default: return "an unsupported type"
    }
}
