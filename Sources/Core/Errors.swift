// One error type for problems a user can fix: the message names the problem and the remedy.

public struct DeepfakeError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
