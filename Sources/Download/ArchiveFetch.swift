// Downloads a dataset's zip to `<N>.archive`, resuming with an HTTP Range request when a partial
// file is there and the server honours ranges (206), restarting from zero when it does not (200).
// The file is complete only when its size equals the length the server announced; a short body
// is retried (resumed) up to `maxAttempts` times, then reported. Errors name the dataset and the fix.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Core

extension KaggleDownloader {
    /// Headers for every request to the API host. Credentials go only to the API origin: the
    /// transfer drops them on a redirect to any other host.
    func applyHeaders(_ request: inout URLRequest) {
        request.setValue("deepfake-swift (kagglehub-compatible)", forHTTPHeaderField: "User-Agent")
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")   // byte offsets must mean file offsets
        if let c = api.credentials { request.setValue(c.authorization, forHTTPHeaderField: "Authorization") }
    }

    /// Brings `<N>.archive` to its full size, or throws.
    func fetchArchive(_ handle: KaggleHandle, version: Int, to path: String, label: String) throws {
        var attempt = 0
        while true {
            attempt += 1
            let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw DiskSpace.writeError(path: path, errno: errno, what: "downloading \(label)") }
            let have = Int64(lseek(fd, 0, SEEK_END))
            var request = URLRequest(url: api.downloadURL(handle, version: version))
            applyHeaders(&request)
            if have > 0 { request.setValue("bytes=\(have)-", forHTTPHeaderField: "Range") }

            // Set by the response check, read after the transfer.
            var start: Int64 = have          // offset the body starts at
            var total: Int64?                // full archive size, when announced
            var progress: ProgressLine?
            var received: Int64 = 0          // body bytes written in this attempt
            let transfer = HTTPTransfer(
                request: request, sink: .file(fd: fd, path: path), idleTimeout: idleTimeout,
                onResponse: { [self] http in
                    let length = (http.value(forHTTPHeaderField: "Content-Length")).flatMap { Int64($0) }
                    switch http.statusCode {
                    case 206:
                        let range = http.value(forHTTPHeaderField: "Content-Range").flatMap(Self.parseContentRange)
                        guard let r = range, r.start == have else {
                            throw DeepfakeError("\(label): the server resumed at the wrong offset (Content-Range \(http.value(forHTTPHeaderField: "Content-Range") ?? "missing")); restarting")
                        }
                        total = r.total
                    case 200..<300:
                        if have > 0 { log.info("\(label): the server does not resume downloads; restarting from zero") }
                        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else {
                            throw DiskSpace.writeError(path: path, errno: errno, what: "downloading \(label)")
                        }
                        start = 0
                        total = length
                    default:
                        return   // the body is an error page: kept in memory, handled below
                    }
                    let remaining = total.map { UInt64(max($0 - start, 0)) } ?? 0
                    try DiskSpace.require(remaining, at: path, for: "downloading \(label)")
                    let what = start > 0 ? "resuming at \(formatBytes(UInt64(start)))" : "downloading"
                    log.info("\(label): \(what) from \(http.url?.host ?? "?")\(total.map { ", \(formatBytes(UInt64($0))) in all" } ?? "")")
                    progress = ProgressLine(log: log, label: label, total: total, start: start, interval: progressInterval)
                },
                onProgress: { written in received = written; progress?.update(start + written) })

            let result: TransferResult
            do {
                result = try transfer.run()
                close(fd)
            } catch let failure as TransferFailure {
                close(fd)
                switch failure {
                case .refused(let e):
                    if e.message.contains("wrong offset") { unlink(path); if attempt < maxAttempts { continue } }
                    throw e
                case .writeFailed(let p, let code):
                    throw DiskSpace.writeError(path: p, errno: code, what: "downloading \(label)")
                case .unreachable:
                    throw networkError(handle, failure)
                case .timedOut, .connectionLost:
                    // Retry only when this attempt made progress: a dead link fails fast.
                    let now = fileSize(path)
                    if received > 0 && attempt < maxAttempts {
                        log.warning("\(label): \(describe(failure)) at \(formatBytes(UInt64(now))); retrying (attempt \(attempt + 1) of \(maxAttempts))")
                        continue
                    }
                    if received > 0 { throw stoppedEarly(label, describe(failure), size: now, total: total, path: path) }
                    throw networkError(handle, failure, partial: now)
                }
            }

            switch result.status {
            case 200..<300:
                let size = fileSize(path)
                if let t = total, size < t {
                    if attempt < maxAttempts {
                        log.warning("\(label): the download stopped at \(formatBytes(UInt64(size))) of \(formatBytes(UInt64(t))); retrying (attempt \(attempt + 1) of \(maxAttempts))")
                        continue
                    }
                    throw stoppedEarly(label, "the body ended early", size: size, total: t, path: path)
                }
                if let t = total, size > t {
                    unlink(path)
                    throw DeepfakeError("the download of \(label) is longer than announced (\(size) > \(t) bytes): the partial file was deleted; re-run to download it again")
                }
                progress?.update(size, force: true)
                return
            case 416:
                // Range past the end: the file may already be whole (a run died after downloading).
                let size = fileSize(path)
                if let r = result.header("Content-Range"), let t = Self.parseContentRange(r)?.total ?? Self.parseUnsatisfiedTotal(r), t == size {
                    log.info("\(label): archive already fully downloaded (\(formatBytes(UInt64(size))))")
                    return
                }
                unlink(path)
                if attempt < maxAttempts { continue }
                throw DeepfakeError("the server refused to resume the download of \(label) (HTTP 416): the partial file was deleted; re-run to start again")
            case 401, 403:
                throw credentialsError(handle, status: result.status)
            case 404:
                throw notFoundError(handle, version: version)
            case 429, 500..<600:
                if attempt < maxAttempts {
                    let wait = retryDelay * Double(attempt)
                    log.warning("\(label): Kaggle answered HTTP \(result.status); retrying in \(formatDuration(wait))")
                    usleep(UInt32(wait * 1e6))
                    continue
                }
                throw DeepfakeError("Kaggle answered HTTP \(result.status) for \(label) \(maxAttempts) times: it is busy or down; re-run later (the download resumes)")
            default:
                throw DeepfakeError("Kaggle answered HTTP \(result.status) for \(label)\(Self.snippet(result.body)): check the handle in the config and try again later")
            }
        }
    }

    // MARK: Errors a user can act on

    func credentialsError(_ handle: KaggleHandle, status: Int) -> DeepfakeError {
        DeepfakeError("Kaggle refused \(handle) (HTTP \(status)): \(api.credentialsHint)")
    }

    func notFoundError(_ handle: KaggleHandle, version: Int?) -> DeepfakeError {
        let what = version.map { "dataset \(handle.slug) version \($0)" } ?? "dataset \(handle.slug)"
        var text = "Kaggle has no \(what) (HTTP 404): check the handle in the config (\"owner/dataset\" or \"owner/dataset/versions/N\") against https://www.kaggle.com/datasets/\(handle.slug)"
        if version != nil { text += " and its version list" }
        if api.credentials == nil { text += "; a private dataset also needs credentials (\(api.credentialsHint))" }
        return DeepfakeError(text)
    }

    func stoppedEarly(_ label: String, _ why: String, size: Int64, total: Int64?, path: String) -> DeepfakeError {
        let of = total.map { " of \(formatBytes(UInt64($0)))" } ?? ""
        return DeepfakeError("the download of \(label) keeps stopping early (\(why); \(formatBytes(UInt64(size)))\(of) kept in \(path)): re-run to resume it; if this node's connection is unreliable or absent, prepare the data on a connected node (deepfake prepare -c <config>) and run here with -o (offline)")
    }

    func describe(_ f: TransferFailure) -> String {
        switch f {
        case .unreachable(let why): return "cannot connect: \(why)"
        case .timedOut(let s): return "no data for \(Int(s)) s"
        case .connectionLost(let why): return "connection lost: \(why)"
        case .writeFailed(let p, let code): return "cannot write \(p): \(String(cString: strerror(code)))"
        case .refused(let e): return e.message
        }
    }

    func networkError(_ handle: KaggleHandle, _ f: TransferFailure, partial: Int64 = 0) -> DeepfakeError {
        let kept = partial > 0 ? " The \(formatBytes(UInt64(partial))) already downloaded are kept and the next run resumes them." : ""
        return DeepfakeError("cannot download \(handle) from \(api.endpoint) (\(describe(f))). If this node has no internet access (a compute node), prepare the data on a connected node first (on the login node: deepfake prepare -c <config>, same config and cache) and run here with -o (offline); otherwise check the network or proxy (https_proxy) and re-run, or raise the idle timeout (DEEPFAKE_DOWNLOAD_TIMEOUT=<seconds>, default 60).\(kept)")
    }

    static func snippet(_ body: Data) -> String {
        guard let text = String(data: body.prefix(300), encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return "" }
        return " (\(text.replacingOccurrences(of: "\n", with: " ")))"
    }

    // MARK: Helpers

    /// `bytes a-b/T` -> (a, T); T may be `*` (unknown), then nil total.
    static func parseContentRange(_ text: String) -> (start: Int64, total: Int64?)? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("bytes "), let dash = t.firstIndex(of: "-"), let slash = t.firstIndex(of: "/") else { return nil }
        guard let a = Int64(t[t.index(t.startIndex, offsetBy: 6)..<dash]) else { return nil }
        return (a, Int64(t[t.index(after: slash)...]))
    }

    /// `bytes */T` (a 416 answer) -> T.
    static func parseUnsatisfiedTotal(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("bytes */") else { return nil }
        return Int64(t.dropFirst(8))
    }

    func fileSize(_ path: String) -> Int64 {
        var s = stat()
        return stat(path, &s) == 0 ? Int64(s.st_size) : 0
    }
}
