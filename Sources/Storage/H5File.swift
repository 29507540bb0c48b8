// H5File: a small, safe handle on one HDF5 file (open/create/close, paths, groups, listing, errors).
// Datasets, strings and attributes live in the H5File+*.swift extensions.
//
// Every HDF5 failure becomes a DeepfakeError naming the file, the object and HDF5's own reason;
// the library's automatic error-stack printing is switched off so a missing dataset is a clean error.

import CHDF5
import Core
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An open HDF5 file. Object names are slash-separated paths ("images", "/train/labels"); writing
/// creates missing intermediate groups. The serial HDF5 build on Debian is thread-safe (one global
/// lock), so one `H5File` may be read from several threads; `close()` must not race other calls.
public final class H5File: @unchecked Sendable {
    /// The path the file was opened or created with.
    public let path: String
    /// Whether the file was opened for writing.
    public let writable: Bool
    private var fid: hid_t

    private init(path: String, fid: hid_t, writable: Bool) {
        self.path = path
        self.fid = fid
        self.writable = writable
    }

    deinit { close() }

    /// Switches off HDF5's exit handler before the library first starts. When a write fails for a
    /// full disk, H5Fclose fails too and leaves the file half torn down; the handler (H5_term_library,
    /// run by exit()) then walks that file again and segfaults (rc 139, after our clear error). Every
    /// file we write is closed explicitly (`finish`/`abandon`), so the handler has nothing to save.
    private static let library: Void = {
        H5dont_atexit()
        H5open()
    }()

    /// Creates (or truncates) a file for writing. Write to a temporary name and rename it when a
    /// half-written file must never be seen by readers (`finish` before the rename, `abandon` on
    /// every error path).
    public static func create(_ path: String) throws -> H5File {
        _ = library
        df_H5_silence_errors()
        let fid = H5Fcreate(path, df_H5F_ACC_TRUNC(), h5Default, h5Default)
        if fid < 0 {
            throw DeepfakeError("cannot create HDF5 file \(path): \(h5LastError()); check the folder exists and is writable")
        }
        return H5File(path: path, fid: fid, writable: true)
    }

    /// Opens an existing file. Read-only opens switch HDF5 file locking off (H5Pset_file_locking,
    /// HDF5 >= 1.10.7), so many ranks can read a file while it sits on Lustre/NFS or while another
    /// process has it open; writers keep the default locking.
    public static func open(_ path: String, writable: Bool = false) throws -> H5File {
        _ = library
        df_H5_silence_errors()
        guard FileManager.default.fileExists(atPath: path) else {
            throw DeepfakeError("HDF5 file \(path) does not exist: check the path, or create it first")
        }
        if H5Fis_hdf5(path) <= 0 {
            _ = h5LastError()
            throw DeepfakeError("\(path) is not an HDF5 file (or is truncated): regenerate it")
        }
        let fapl = H5Pcreate(df_H5P_FILE_ACCESS())
        defer { H5Pclose(fapl) }
        if !writable { H5Pset_file_locking(fapl, false, true) }
        var fid = H5Fopen(path, writable ? df_H5F_ACC_RDWR() : df_H5F_ACC_RDONLY(), fapl)
        if fid < 0 && !writable {
            // This process already has the file open with locking on (HDF5 shares one open file per
            // process and insists the flags match): open it with the default flags instead.
            _ = h5LastError()
            fid = H5Fopen(path, df_H5F_ACC_RDONLY(), h5Default)
        }
        if fid < 0 {
            throw DeepfakeError("cannot open HDF5 file \(path)\(writable ? " for writing" : ""): \(h5LastError())"
                + (writable ? "; another process may hold it open (HDF5 locks files being written)" : ""))
        }
        return H5File(path: path, fid: fid, writable: writable)
    }

    /// Flushes and closes the file; later calls throw. Safe to call twice. Errors are ignored:
    /// writers call `finish()` instead, which reports them.
    public func close() {
        if fid >= 0 {
            df_H5_silence_errors()
            if H5Fclose(fid) < 0 { _ = h5LastError() }
            fid = -1
        }
    }

    /// Flushes and closes a file being written, throwing when either fails (a full disk): only a
    /// file whose `finish` succeeded is complete. The handle is closed exactly once either way.
    public func finish() throws {
        let f = try handle()
        df_H5_silence_errors()
        let flushed = H5Fflush(f, H5F_SCOPE_LOCAL) >= 0
        let flushError = flushed ? "" : h5LastError()
        let closed = H5Fclose(f) >= 0
        fid = -1
        if !flushed { throw DeepfakeError("file \(path): cannot write it to disk: \(flushError); free space on that file system or write elsewhere") }
        if !closed { throw DeepfakeError("file \(path): cannot close it: \(h5LastError()); free space on that file system or write elsewhere") }
    }

    /// Gives up a file being written after an error: empties it first (so the metadata HDF5 flushes
    /// on close fits even on a full disk and the close succeeds), closes it exactly once, and
    /// deletes it. Safe to call on a closed file (then it only deletes `path`).
    public func abandon() {
        if fid >= 0 && writable {
            df_H5_silence_errors()
            var handle: UnsafeMutableRawPointer?
            if H5Fget_vfd_handle(fid, h5Default, &handle) >= 0, let h = handle {
                _ = ftruncate(h.load(as: Int32.self), 0)   // sec2 driver: the handle is an int fd
            }
            _ = h5LastError()
        }
        close()
        if writable { unlink(path) }
    }

    /// Writes buffered data to disk without closing.
    public func flush() throws {
        let f = try handle()
        if H5Fflush(f, H5F_SCOPE_LOCAL) < 0 { throw failure("cannot flush") }
    }

    // MARK: - Paths, groups, listing

    /// Whether an object (group or dataset) exists at `path`; "/" always exists.
    public func exists(_ path: String) -> Bool {
        guard fid >= 0 else { return false }
        df_H5_silence_errors()
        let parts = H5File.components(path)
        var prefix = ""
        for part in parts {
            prefix += "/" + part
            if H5Lexists(fid, prefix, h5Default) <= 0 { _ = h5LastError(); return false }
        }
        return true
    }

    /// Names (not paths) of the objects directly inside `group`, in name order.
    public func list(_ group: String = "/") throws -> [String] {
        let f = try handle()
        guard exists(group) else { throw missing("group", group) }
        let gid = H5Gopen2(f, H5File.normalized(group), h5Default)
        if gid < 0 { throw failure("cannot open group '\(group)'") }
        defer { H5Gclose(gid) }
        var info = H5G_info_t()
        if H5Gget_info(gid, &info) < 0 { throw failure("cannot list group '\(group)'") }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let n = H5Lget_name_by_idx(gid, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, h5Default)
            if n < 0 { throw failure("cannot read link \(i) of group '\(group)'") }
            var buf = [CChar](repeating: 0, count: Int(n) + 1)
            H5Lget_name_by_idx(gid, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, buf.count, h5Default)
            names.append(String(cString: buf))
        }
        return names
    }

    /// Whether `path` names a group (false for datasets and missing objects).
    public func isGroup(_ path: String) -> Bool {
        objectType(path) == H5I_GROUP
    }

    /// Whether `path` names a dataset.
    public func isDataset(_ path: String) -> Bool {
        objectType(path) == H5I_DATASET
    }

    /// Creates a group and any missing parents; does nothing if it already exists.
    public func createGroup(_ path: String) throws {
        let f = try writableHandle()
        if exists(path) {
            if isGroup(path) { return }
            throw DeepfakeError("file \(self.path): cannot create group '\(path)': a dataset has that name")
        }
        let lcpl = H5File.linkCreationList()
        defer { H5Pclose(lcpl) }
        let gid = H5Gcreate2(f, H5File.normalized(path), lcpl, h5Default, h5Default)
        if gid < 0 { throw failure("cannot create group '\(path)'") }
        H5Gclose(gid)
    }

    /// Unlinks an object (its space in the file is not reclaimed; use h5repack for that).
    public func remove(_ path: String) throws {
        let f = try writableHandle()
        guard exists(path) else { throw missing("object", path) }
        if H5Ldelete(f, H5File.normalized(path), h5Default) < 0 { throw failure("cannot remove '\(path)'") }
    }

    // MARK: - Internal helpers shared by the extensions

    /// The open file id, or an error if the file was closed.
    func handle() throws -> hid_t {
        df_H5_silence_errors()
        guard fid >= 0 else { throw DeepfakeError("HDF5 file \(path) is already closed: reopen it with H5File.open") }
        return fid
    }

    /// The open file id, or an error if the file is closed or read-only.
    func writableHandle() throws -> hid_t {
        let f = try handle()
        guard writable else {
            throw DeepfakeError("HDF5 file \(path) is open read-only: open it with H5File.open(path, writable: true) to modify it")
        }
        return f
    }

    /// An error for a failed HDF5 call, with HDF5's reason.
    func failure(_ what: String) -> DeepfakeError {
        DeepfakeError("file \(path): \(what): \(h5LastError())")
    }

    /// An error for a missing object, listing what the parent group does hold.
    func missing(_ kind: String, _ name: String) -> DeepfakeError {
        var parts = H5File.components(name)
        parts.removeLast(parts.isEmpty ? 0 : 1)
        let parent = "/" + parts.joined(separator: "/")
        var hint = ""
        if let names = try? list(parent) {
            hint = names.isEmpty ? " (group '\(parent)' is empty)"
                : " (group '\(parent)' holds: \(names.prefix(20).joined(separator: ", ")))"
        }
        return DeepfakeError("file \(path) has no \(kind) '\(name)'\(hint): check the name, or regenerate the file")
    }

    /// Opens a dataset by path, with a clear error when it is missing or is a group.
    func openDataset(_ name: String) throws -> hid_t {
        let f = try handle()
        guard exists(name), objectType(name) == H5I_DATASET else {
            if isGroup(name) { throw DeepfakeError("file \(path): '\(name)' is a group, not a dataset") }
            throw missing("dataset", name)
        }
        let did = H5Dopen2(f, H5File.normalized(name), h5Default)
        if did < 0 { throw failure("cannot open dataset '\(name)'") }
        return did
    }

    /// The HDF5 object kind at `path` (H5I_GROUP, H5I_DATASET, ...), or H5I_BADID when missing.
    func objectType(_ path: String) -> H5I_type_t {
        guard fid >= 0, exists(path) else { return H5I_BADID }
        let oid = H5Oopen(fid, H5File.normalized(path), h5Default)
        if oid < 0 { _ = h5LastError(); return H5I_BADID }
        defer { H5Oclose(oid) }
        return H5Iget_type(oid)
    }

    /// A link-creation property list that creates missing intermediate groups.
    static func linkCreationList() -> hid_t {
        let lcpl = H5Pcreate(df_H5P_LINK_CREATE())
        H5Pset_create_intermediate_group(lcpl, 1)
        return lcpl
    }

    /// Path components, ignoring empty ones ("/a//b/" -> ["a", "b"]).
    static func components(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init)
    }

    /// An absolute HDF5 path ("a/b" -> "/a/b", "" -> "/").
    static func normalized(_ path: String) -> String {
        "/" + components(path).joined(separator: "/")
    }
}

/// The current thread's HDF5 error stack as one line, clearing it.
func h5LastError() -> String {
    var buf = [CChar](repeating: 0, count: 600)
    df_H5_last_error(&buf, buf.count)
    return String(cString: buf)
}

/// `H5P_DEFAULT` as an `hid_t` (Swift imports the macro as a plain Int32).
let h5Default = hid_t(H5P_DEFAULT)
