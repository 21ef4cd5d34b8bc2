import Foundation
import NIOHTTP1
@testable import S3
import Testing

/// What a transition sends again from HEAD's answer (issue 16, row 15), checked as the outside
/// input it is. No server needed.
struct CopyOptionsTests {
    static let key = "vault/20261125_020000.snap"
    static let keyID = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    static let sse = "x-amz-server-side-encryption"
    static let kmsKey = "x-amz-server-side-encryption-aws-kms-key-id"
    static let bucketKey = "x-amz-server-side-encryption-bucket-key-enabled"

    static func head(_ fields: [String: String]) -> ObjectHead {
        ObjectHead(headers: HTTPHeaders(fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
    }

    /// (HEAD's headers, the encryption a copy asks for)
    static let kept: [([String: String], ServerSideEncryption?)] = [
        ([:], nil),
        ([sse: "AES256"], ServerSideEncryption(algorithm: .aes256)),
        // A key id or Bucket Key beside SSE-S3 means nothing to S3, which would refuse them.
        ([sse: "AES256", kmsKey: keyID, bucketKey: "true"], ServerSideEncryption(algorithm: .aes256)),
        ([sse: "aws:kms", kmsKey: keyID, bucketKey: "true"],
         ServerSideEncryption(algorithm: .kms, kmsKeyID: keyID, bucketKeyEnabled: true)),
        ([sse: "aws:kms", kmsKey: keyID], ServerSideEncryption(algorithm: .kms, kmsKeyID: keyID)),
        ([sse: "aws:kms"], ServerSideEncryption(algorithm: .kms)),
        ([sse: "aws:kms:dsse", kmsKey: keyID, bucketKey: "true"], ServerSideEncryption(algorithm: .dsseKMS, kmsKeyID: keyID)),
        ([sse: "aws:kms", kmsKey: String(repeating: "k", count: 2048)],
         ServerSideEncryption(algorithm: .kms, kmsKeyID: String(repeating: "k", count: 2048))),
    ]

    @Test(arguments: kept)
    func theEncryptionIsReadFromHead(_ fields: [String: String], _ expected: ServerSideEncryption?) throws {
        #expect(try ServerSideEncryption(head: Self.head(fields), key: Self.key) == expected)
        #expect(try Self.head(fields).copyOptions(key: Self.key).serverSideEncryption == expected)
    }

    /// (HEAD's headers, why the copy is refused)
    static let refused: [([String: String], CopyRefusal)] = [
        (["x-amz-server-side-encryption-customer-algorithm": "AES256"], .customerProvidedKey(key: key)),
        ([sse: "rot13"], .unusableHeader(key: key, header: sse, problem: .unknownAlgorithm)),
        ([sse: "aws:kms\r\nx-amz-acl: public-read"], .unusableHeader(key: key, header: sse, problem: .controlCharacter)),
        ([sse: String(repeating: "a", count: 65)], .unusableHeader(key: key, header: sse, problem: .tooLong(bytes: 65, limit: 64))),
        ([sse: "aws:kms", kmsKey: String(repeating: "k", count: 2049)],
         .unusableHeader(key: key, header: kmsKey, problem: .tooLong(bytes: 2049, limit: 2048))),
        ([sse: "aws:kms", kmsKey: keyID + "\r\nx-amz-acl: public-read"],
         .unusableHeader(key: key, header: kmsKey, problem: .controlCharacter)),
        ([sse: "aws:kms", kmsKey: keyID + "\u{0}"], .unusableHeader(key: key, header: kmsKey, problem: .controlCharacter)),
        ([sse: "aws:kms:dsse", kmsKey: "\u{7F}"], .unusableHeader(key: key, header: kmsKey, problem: .controlCharacter)),
    ]

    @Test(arguments: refused)
    func anEncryptionThatCannotBeSentAgainIsRefusedNamingTheKey(_ fields: [String: String], _ refusal: CopyRefusal) {
        #expect(throws: refusal) { try ServerSideEncryption(head: Self.head(fields), key: Self.key) }
        #expect(throws: refusal) { try Self.head(fields).copyOptions(key: Self.key) }
        #expect("\(refusal)".hasPrefix(Self.key + ": not transitioned"))
    }

    /// (HEAD's header, its value, the problem)
    static let refusedContentHeaders: [(String, String, CopyRefusal.Problem)] = [
        ("cache-control", "no-cache\nx-amz-acl: public-read", .controlCharacter),
        ("content-encoding", "gzip\r", .controlCharacter),
        ("content-disposition", String(repeating: "a", count: 8193), .tooLong(bytes: 8193, limit: 8192)),
        ("content-language", "de\u{1B}[2J", .controlCharacter),
        ("content-type", "application/x-tar\u{0}", .controlCharacter),
        ("expires", "Tue, 01 Jan 2030 00:00:00 GMT\r\n\r\n", .controlCharacter),
        ("x-amz-meta-strata-sha256-parts", "x\ny", .controlCharacter),
    ]

    @Test(arguments: refusedContentHeaders)
    func aContentHeaderThatCannotBeSentAgainIsRefused(_ header: String, _ value: String, _ problem: CopyRefusal.Problem) {
        #expect(throws: CopyRefusal.unusableHeader(key: Self.key, header: header, problem: problem)) {
            try Self.head([header: value]).copyOptions(key: Self.key)
        }
    }

    @Test func theContentHeadersAndMetadataAreSentAgainAsTheyWere() throws {
        let options = try Self.head([
            "content-type": "application/x-tar", "cache-control": "no-cache, max-age=0", "content-encoding": "gzip",
            "content-disposition": "attachment;\tfilename=\"db.tar\"", "content-language": "de-CH",
            "expires": "not a date", "x-amz-meta-strata-part-size": "8388608", "x-amz-meta-origin": "caf\u{E9}",
            Self.sse: "aws:kms", Self.kmsKey: Self.keyID,
        ]).copyOptions(key: Self.key)
        let headers = options.headers
        let expected = [
            ("content-type", "application/x-tar"), ("cache-control", "no-cache, max-age=0"), ("content-encoding", "gzip"),
            ("content-disposition", "attachment;\tfilename=\"db.tar\""), ("content-language", "de-CH"),
            ("expires", "not a date"), ("x-amz-meta-strata-part-size", "8388608"), ("x-amz-meta-origin", "caf\u{E9}"),
            (Self.sse, "aws:kms"), (Self.kmsKey, Self.keyID), (Self.bucketKey, "false"),
        ]
        for (name, value) in expected {
            #expect(headers[name] == [value], "\(name)")
        }
    }

    /// (the encryption, the request headers that ask for it)
    static let requestHeaders: [(ServerSideEncryption, [String: String])] = [
        (ServerSideEncryption(algorithm: .aes256), [sse: "AES256"]),
        (ServerSideEncryption(algorithm: .kms), [sse: "aws:kms", bucketKey: "false"]),
        (ServerSideEncryption(algorithm: .kms, kmsKeyID: keyID, bucketKeyEnabled: true),
         [sse: "aws:kms", kmsKey: keyID, bucketKey: "true"]),
        (ServerSideEncryption(algorithm: .dsseKMS, kmsKeyID: keyID), [sse: "aws:kms:dsse", kmsKey: keyID]),
    ]

    @Test(arguments: requestHeaders)
    func theRequestNamesTheEncryption(_ encryption: ServerSideEncryption, _ expected: [String: String]) {
        let sent = Dictionary(uniqueKeysWithValues: encryption.headers.map { ($0.name, $0.value) })
        #expect(sent == expected)
    }
}
