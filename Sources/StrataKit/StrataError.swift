import Foundation

/// A failure an operator has to act on, with the exit code the `strata` command returns for it.
/// See docs/cli.md, "Exit codes".
public struct StrataError: Error, Sendable, CustomStringConvertible {
    /// How the process ends.
    public enum Kind: Int32, Sendable {
        /// 1: the operation failed (S3 error, network, I/O).
        case failure = 1
        /// 2: bad usage or configuration (flags, strata.yaml, policies, credentials setup).
        case configuration = 2
        /// 3: a guard blocked deletions (nothing was deleted for the blocked components).
        case blockedByGuard = 3
        /// 4: another sweep holds the bucket's lock.
        case lockHeld = 4
        /// 5: a bucket lifecycle rule Strata did not write would act on a component otherwise
        /// than its policy; that component's deletions were withheld.
        case outsideLifecycleRule = 5
    }

    /// The class of failure, which decides the exit code.
    public var kind: Kind
    /// One line saying what is wrong and what is expected.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }

    /// The process exit code.
    public var exitCode: Int32 { kind.rawValue }
}
