// Where Kaggle's API lives and who we are to it, read the way kagglehub reads them, so a user's
// existing set-up (environment variables or ~/.kaggle/kaggle.json) just works.
//
// Endpoint: $KAGGLE_API_ENDPOINT, default https://www.kaggle.com.
// Credentials, first match wins (kagglehub's order):
//   1. $KAGGLE_API_TOKEN (a new-style API token), sent as `Authorization: Bearer`;
//   2. $KAGGLE_USERNAME and $KAGGLE_KEY, both non-empty, sent as HTTP basic auth;
//   3. kaggle.json ({"username": ..., "key": ...}) in $KAGGLE_CONFIG_DIR, else ~/.kaggle.
// No credentials is fine: public datasets download anonymously.

import Foundation
import Core

/// A Kaggle username and API key (HTTP basic auth) or an API token (bearer), sent to the API
/// host only.
public struct KaggleCredentials: Equatable, Sendable {
    /// Empty for a token.
    public let username: String
    /// The legacy API key, or the token when `isToken`.
    public let key: String
    public let isToken: Bool
    /// Where they came from, for messages ("KAGGLE_USERNAME/KAGGLE_KEY" or a file path).
    public let source: String

    public init(username: String, key: String, source: String) {
        self.username = username; self.key = key; self.isToken = false; self.source = source
    }

    public init(token: String, source: String) {
        self.username = ""; self.key = token; self.isToken = true; self.source = source
    }

    /// The value of the `Authorization` header: `Basic base64(username:key)` or `Bearer token`.
    public var authorization: String {
        isToken ? "Bearer \(key)" : "Basic " + Data("\(username):\(key)".utf8).base64EncodedString()
    }
}

/// The API endpoint and optional credentials resolved from an environment.
public struct KaggleAPIConfig: Sendable {
    public static let defaultEndpoint = "https://www.kaggle.com"

    /// Endpoint without a trailing slash, e.g. `https://www.kaggle.com`.
    public let endpoint: String
    public let credentials: KaggleCredentials?
    /// The kaggle.json path that was (or would have been) read, for messages.
    public let credentialsFile: String

    public init(endpoint: String, credentials: KaggleCredentials?, credentialsFile: String = "~/.kaggle/kaggle.json") {
        var e = endpoint
        while e.hasSuffix("/") { e.removeLast() }
        self.endpoint = e; self.credentials = credentials; self.credentialsFile = credentialsFile
    }

    /// Resolves endpoint and credentials from `environment` (normally the process environment).
    /// Throws only when a kaggle.json exists but cannot be used: silently downloading anonymously
    /// would turn a typo in that file into a confusing 403 later.
    public init(environment: [String: String]) throws {
        let endpoint = environment["KAGGLE_API_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultEndpoint
        guard let url = URL(string: endpoint), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw DeepfakeError("KAGGLE_API_ENDPOINT='\(endpoint)' is not an http(s) URL: unset it to use \(Self.defaultEndpoint), or set it to e.g. https://www.kaggle.com")
        }
        let folder: String
        if let dir = environment["KAGGLE_CONFIG_DIR"], !dir.isEmpty {
            folder = dir
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            folder = (home as NSString).appendingPathComponent(".kaggle")
        }
        let file = (folder as NSString).appendingPathComponent("kaggle.json")

        if let token = environment["KAGGLE_API_TOKEN"], !token.isEmpty {
            self.init(endpoint: endpoint, credentials: KaggleCredentials(token: token, source: "KAGGLE_API_TOKEN"), credentialsFile: file)
        } else if let user = environment["KAGGLE_USERNAME"], let key = environment["KAGGLE_KEY"], !user.isEmpty, !key.isEmpty {
            self.init(endpoint: endpoint, credentials: KaggleCredentials(username: user, key: key, source: "KAGGLE_USERNAME/KAGGLE_KEY"), credentialsFile: file)
        } else if FileManager.default.fileExists(atPath: file) {
            self.init(endpoint: endpoint, credentials: try Self.readCredentialsFile(file), credentialsFile: file)
        } else {
            self.init(endpoint: endpoint, credentials: nil, credentialsFile: file)
        }
    }

    /// Reads `{"username": "...", "key": "..."}`.
    static func readCredentialsFile(_ path: String) throws -> KaggleCredentials {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DeepfakeError("cannot read Kaggle credentials file \(path): check its permissions (chmod 600 \(path)) or remove it to download public datasets anonymously")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let user = object["username"] as? String, let key = object["key"] as? String,
              !user.isEmpty, !key.isEmpty else {
            throw DeepfakeError("Kaggle credentials file \(path) is not of the form {\"username\": \"...\", \"key\": \"...\"}: download a fresh one from https://www.kaggle.com/settings (API > Create New Token)")
        }
        return KaggleCredentials(username: user, key: key, source: path)
    }

    /// `<endpoint>/api/v1/datasets/view/<owner>/<name>`: metadata with `currentVersionNumber`.
    public func viewURL(_ handle: KaggleHandle) -> URL {
        URL(string: "\(endpoint)/api/v1/datasets/view/\(handle.owner)/\(handle.name)")!
    }

    /// `<endpoint>/api/v1/datasets/download/<owner>/<name>[?datasetVersionNumber=N]`: the zip.
    public func downloadURL(_ handle: KaggleHandle, version: Int?) -> URL {
        var text = "\(endpoint)/api/v1/datasets/download/\(handle.owner)/\(handle.name)"
        if let v = version { text += "?datasetVersionNumber=\(v)" }
        return URL(string: text)!
    }

    /// How to fix credentials, for 401/403 messages.
    var credentialsHint: String {
        if let c = credentials {
            let who = c.isToken ? "" : " (user '\(c.username)')"
            return "the credentials from \(c.source)\(who) were refused: download a fresh kaggle.json from https://www.kaggle.com/settings (API > Create New Token), and accept the dataset's rules on its Kaggle page if it has any"
        }
        return "no Kaggle credentials were found: set KAGGLE_USERNAME and KAGGLE_KEY, or put kaggle.json from https://www.kaggle.com/settings (API > Create New Token) at \(credentialsFile) (or in $KAGGLE_CONFIG_DIR)"
    }
}
