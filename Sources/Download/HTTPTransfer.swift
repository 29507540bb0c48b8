// One synchronous HTTP GET over URLSession (FoundationNetworking on Linux), for a batch tool:
// the caller's thread blocks on a semaphore while a delegate streams the body to a file or memory.
//
// Why a delegate rather than `downloadTask`: we need the response headers before the body (to
// check Content-Length against free disk space, and to tell 206 from 200 when resuming with a
// Range request), per-chunk progress, control over redirects (credentials must not follow a
// redirect to another host, e.g. Kaggle's signed storage URL), and an idle watchdog so a stalled
// connection fails after `idleTimeout` seconds instead of hanging a Slurm job forever.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Core

/// How a transfer failed below the HTTP status level.
enum TransferFailure: Error {
    /// No connection could be made (refused, DNS, no route): the node is probably offline.
    case unreachable(String)
    /// No byte arrived for `idleTimeout` seconds.
    case timedOut(Double)
    /// The connection broke after it was established (the body may be partial).
    case connectionLost(String)
    /// The local file could not be written; `errno` tells ENOSPC (disk full) from the rest.
    case writeFailed(path: String, errno: Int32)
    /// A check on the response headers (e.g. free disk space) refused the body.
    case refused(DeepfakeError)
}

/// What came back from one GET.
struct TransferResult {
    var status: Int
    var headers: [String: String]
    /// The body for in-memory transfers and for error statuses (capped at 64 KiB).
    var body: Data
    /// Bytes written to the file sink in this transfer.
    var bytesWritten: Int64
    /// The URL that answered, after redirects.
    var finalURL: URL?

    func header(_ name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// Streams one GET. Create one per request; `run()` blocks until it ends.
/// `@unchecked Sendable`: all mutable state is guarded by `lock`; the callbacks run on the
/// session's serial delegate queue while the creating thread only waits.
final class HTTPTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// Where a 2xx body goes: memory, or appended to an open file descriptor.
    enum Sink { case memory, file(fd: Int32, path: String) }

    private let request: URLRequest
    private let sink: Sink
    private let idleTimeout: Double
    /// Called once with the response before any body byte; throwing cancels the transfer.
    private let onResponse: (HTTPURLResponse) throws -> Void
    /// Called after each chunk written to the file sink with the running byte count.
    private let onProgress: (Int64) -> Void

    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var lastActivity = WallClock.now()
    private var response: HTTPURLResponse?
    private var body = Data()
    private var written: Int64 = 0
    private var failure: TransferFailure?
    private var sessionError: Error?
    private var timedOut = false

    init(request: URLRequest, sink: Sink, idleTimeout: Double,
         onResponse: @escaping (HTTPURLResponse) throws -> Void = { _ in },
         onProgress: @escaping (Int64) -> Void = { _ in }) {
        self.request = request; self.sink = sink; self.idleTimeout = idleTimeout
        self.onResponse = onResponse; self.onProgress = onProgress
    }

    /// Runs the request to its end and returns what the server said, or throws a TransferFailure.
    func run() throws -> TransferResult {
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = idleTimeout + 30   // our watchdog below fires first
        config.timeoutIntervalForResource = 7 * 24 * 3600
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.urlCache = nil
        config.httpShouldSetCookies = false
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: config, delegate: self, delegateQueue: queue)
        let task = session.dataTask(with: request)
        lock.lock(); lastActivity = WallClock.now(); lock.unlock()
        task.resume()
        // Poll so that the idle watchdog can cancel a stalled transfer.
        while done.wait(timeout: .now() + 0.2) == .timedOut {
            lock.lock()
            let idle = WallClock.now() - lastActivity
            if idle > idleTimeout && !timedOut { timedOut = true; lock.unlock(); task.cancel(); continue }
            lock.unlock()
        }
        session.finishTasksAndInvalidate()

        lock.lock(); defer { lock.unlock() }
        if let f = failure { throw f }
        if timedOut { throw TransferFailure.timedOut(idleTimeout) }
        if let e = sessionError { throw Self.classify(e, gotResponse: response != nil) }
        guard let r = response else { throw TransferFailure.connectionLost("no HTTP response") }
        var headers: [String: String] = [:]
        for (k, v) in r.allHeaderFields { headers["\(k)"] = "\(v)" }
        return TransferResult(status: r.statusCode, headers: headers, body: body, bytesWritten: written, finalURL: r.url)
    }

    /// Maps URLSession's errors onto the cases a user can act on: before any response the host
    /// was never reached (refused, DNS, TLS, no route); after one, the connection broke mid-body.
    static func classify(_ error: Error, gotResponse: Bool) -> TransferFailure {
        let text = (error as NSError).localizedDescription
        return gotResponse ? .connectionLost(text) : .unreachable(text)
    }

    private func touch() { lastActivity = WallClock.now() }

    // MARK: URLSessionDataDelegate

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        lock.lock(); touch(); lock.unlock()
        guard let http = response as? HTTPURLResponse else {
            lock.lock(); failure = .connectionLost("not an HTTP response"); lock.unlock()
            completionHandler(.cancel); return
        }
        do {
            try onResponse(http)
        } catch let e as DeepfakeError {
            lock.lock(); failure = .refused(e); lock.unlock()
            completionHandler(.cancel); return
        } catch {
            lock.lock(); failure = .refused(DeepfakeError("\(error)")); lock.unlock()
            completionHandler(.cancel); return
        }
        lock.lock(); self.response = http; lock.unlock()
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        touch()
        let status = response?.statusCode ?? 0
        if case .file(let fd, let path) = sink, (200..<300).contains(status) {
            lock.unlock()
            // Write the whole chunk; a short write is retried, a failed one ends the transfer.
            let ok: Int32? = data.withUnsafeBytes { raw -> Int32? in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 { if errno == EINTR { continue }; return errno }
                    offset += n
                }
                return nil
            }
            lock.lock()
            if let err = ok {
                failure = .writeFailed(path: path, errno: err)
                lock.unlock(); dataTask.cancel(); return
            }
            written += Int64(data.count)
            let total = written
            lock.unlock()
            onProgress(total)
        } else {
            if body.count < 65_536 { body.append(data.prefix(65_536 - body.count)) }
            lock.unlock()
        }
    }

    /// Follows redirects, but drops `Authorization` when the target is another origin: Kaggle
    /// redirects downloads to a signed storage URL that must not see the user's API key.
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        lock.lock(); touch(); lock.unlock()
        var next = request
        if !Self.sameOrigin(self.request.url, request.url) {
            next.setValue(nil, forHTTPHeaderField: "Authorization")
        }
        completionHandler(next)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        if let e = error, failure == nil { sessionError = e }
        lock.unlock()
        done.signal()
    }

    /// Same scheme, host and port (default ports filled in).
    static func sameOrigin(_ a: URL?, _ b: URL?) -> Bool {
        guard let a = a, let b = b else { return false }
        func port(_ u: URL) -> Int { u.port ?? (u.scheme?.lowercased() == "https" ? 443 : 80) }
        return a.scheme?.lowercased() == b.scheme?.lowercased()
            && a.host?.lowercased() == b.host?.lowercased() && port(a) == port(b)
    }
}
