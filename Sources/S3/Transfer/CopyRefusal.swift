import Foundation

/// Why a transition left an object where it is instead of copying it: the copy could not say
/// again what the object is (its encryption, its headers), so it would have changed it. Thrown
/// before anything is written.
public enum CopyRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The object is encrypted with a customer-provided key (SSE-C): S3 copies it only when the
    /// request carries that key, which Strata never holds.
    case customerProvidedKey(key: String)
    /// A value HEAD reported, which the copy must send again, cannot be sent.
    case unusableHeader(key: String, header: String, problem: Problem)

    /// What is wrong with a header value.
    public enum Problem: Sendable, Equatable {
        /// Longer than `limit` bytes.
        case tooLong(bytes: Int, limit: Int)
        /// Holds a control character (CR, LF, NUL, ...): sent on, it would end the header or
        /// smuggle another one.
        case controlCharacter
        /// Not an encryption algorithm S3 knows (`AES256`, `aws:kms`, `aws:kms:dsse`).
        case unknownAlgorithm
    }

    /// The longest KMS key id a copy sends on: KMS key ids, ARNs and alias ARNs are at most
    /// 2,048 characters. See <https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html>.
    public static let kmsKeyIDLimit = 2048
    /// The longest other header value a copy sends on (`Cache-Control`, user metadata, ...):
    /// servers refuse longer header lines (AWS takes at most 8 KiB of request headers).
    public static let headerValueLimit = 8192

    /// One line naming the object and what to do.
    public var description: String {
        switch self {
        case .customerProvidedKey(let key):
            return "\(key): not transitioned: it is encrypted with a customer-provided key (SSE-C), which S3 needs "
                + "to copy it and Strata does not hold; the object is left as it is"
        case .unusableHeader(let key, let header, let problem):
            let what = switch problem {
            case .tooLong(let bytes, let limit): "is \(bytes) bytes long (at most \(limit))"
            case .controlCharacter: "holds a control character"
            case .unknownAlgorithm: "is not AES256, aws:kms or aws:kms:dsse"
            }
            return "\(key): not transitioned: its \(header) \(what), so the copy could not keep it; "
                + "the object is left as it is"
        }
    }

    /// `value`, if it can be sent on as header `header` of a copy of `key`: at most `limit`
    /// bytes, and no control character but tab (HTTP field values allow tab, space and visible
    /// characters; bytes above 0x7F pass, as S3 sends them).
    static func checked(_ value: String, header: String, key: String,
                        limit: Int = headerValueLimit) throws(CopyRefusal) -> String {
        let bytes = value.utf8.count
        guard bytes <= limit else {
            throw .unusableHeader(key: key, header: header, problem: .tooLong(bytes: bytes, limit: limit))
        }
        guard !value.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) else {
            throw .unusableHeader(key: key, header: header, problem: .controlCharacter)
        }
        return value
    }
}
