import Foundation
import NIOHTTP1

/// Object-lock retention of one object version.
public struct ObjectRetention: Sendable, Hashable {
    /// `GOVERNANCE` or `COMPLIANCE`.
    public var mode: String
    /// Until when the version cannot be deleted.
    public var retainUntil: Date
    /// Creates a retention value.
    public init(mode: String, retainUntil: Date) {
        self.mode = mode
        self.retainUntil = retainUntil
    }
}

/// Restore speed for archived objects. See <https://docs.aws.amazon.com/AmazonS3/latest/userguide/restoring-objects-retrieval-options.html>.
public enum RestoreTier: String, Sendable, CaseIterable {
    /// Minutes (GLACIER only).
    case expedited = "Expedited"
    /// Hours.
    case standard = "Standard"
    /// Cheapest, up to 48 hours.
    case bulk = "Bulk"
}

/// What S3 said to a `RestoreObject` request.
public enum RestoreRequestOutcome: Sendable, Hashable {
    /// 202: a restore was started.
    case started
    /// 200: a restored copy already exists (its expiry was extended).
    case alreadyRestored
    /// 409 `RestoreAlreadyInProgress`: one is running; nothing new was requested.
    case alreadyInProgress
    /// The server refused RestoreObject (405 or 501) and the object is readable as it is: its
    /// storage class is a label on a server with no archive tier (SeaweedFS, Ceph RGW).
    case noArchiveTier
}

extension S3Client {
    /// `GetObjectTagging`.
    public func getObjectTagging(bucket: String, key: String, versionID: String? = nil) async throws -> [String: String] {
        var query: [(name: String, value: String)] = [("tagging", "")]
        if let versionID { query.append(("versionId", versionID)) }
        let request = S3Request(operation: "GetObjectTagging", method: .GET, bucket: bucket, key: key, query: query)
        let response = try await execute(request)
        // RGW answers 200 with an empty body for an object whose tags it never stored.
        if response.body.readableBytes == 0 { return [:] }
        return TagSet.parse(try response.xml(request))
    }

    /// `PutObjectTagging` (replaces all tags).
    public func putObjectTagging(bucket: String, key: String, tags: [String: String],
                                 versionID: String? = nil) async throws {
        var query: [(name: String, value: String)] = [("tagging", "")]
        if let versionID { query.append(("versionId", versionID)) }
        _ = try await execute(S3Request(operation: "PutObjectTagging", method: .PUT, bucket: bucket, key: key,
                                        query: query, body: .text(TagSet.xml(tags))))
    }

    /// `GetObjectRetention`, or `nil` when the object has none.
    public func getObjectRetention(bucket: String, key: String, versionID: String? = nil) async throws -> ObjectRetention? {
        var query: [(name: String, value: String)] = [("retention", "")]
        if let versionID { query.append(("versionId", versionID)) }
        let request = S3Request(operation: "GetObjectRetention", method: .GET, bucket: bucket, key: key, query: query)
        do {
            let xml = try await execute(request).xml(request)
            guard let mode = xml.string("Mode"),
                  let until = xml.string("RetainUntilDate").flatMap(HTTPDate.parseISO8601) else { return nil }
            return ObjectRetention(mode: mode, retainUntil: until)
        } catch let error as S3Error where Self.meansNoLockConfiguration(error) {
            return nil
        }
    }

    /// Whether an error only says the object (or bucket) has no lock setting: AWS answers
    /// `NoSuchObjectLockConfiguration`, RGW `ObjectLockConfigurationNotFoundError`.
    static func meansNoLockConfiguration(_ error: S3Error) -> Bool {
        [.noSuchObjectLockConfiguration, .objectLockConfigurationNotFound, .invalidRequest].contains(error.code)
            || (error.status == 404 && ![.noSuchKey, .noSuchBucket, .noSuchVersion].contains(error.code))
    }

    /// `PutObjectRetention` (for tests and operators placing locks).
    public func putObjectRetention(bucket: String, key: String, retention: ObjectRetention,
                                   versionID: String? = nil) async throws {
        var query: [(name: String, value: String)] = [("retention", "")]
        if let versionID { query.append(("versionId", versionID)) }
        var writer = XMLWriter()
        writer.element("Retention", namespace: true) { xml in
            xml.element("Mode", text: retention.mode)
            xml.element("RetainUntilDate", text: ISO8601DateFormatter().string(from: retention.retainUntil))
        }
        _ = try await execute(S3Request(operation: "PutObjectRetention", method: .PUT, bucket: bucket, key: key,
                                        query: query, body: .text(writer.output)))
    }

    /// `GetObjectLegalHold`: whether a legal hold is on (`false` when none was ever set).
    public func getObjectLegalHold(bucket: String, key: String, versionID: String? = nil) async throws -> Bool {
        var query: [(name: String, value: String)] = [("legal-hold", "")]
        if let versionID { query.append(("versionId", versionID)) }
        let request = S3Request(operation: "GetObjectLegalHold", method: .GET, bucket: bucket, key: key, query: query)
        do {
            return try await execute(request).xml(request).string("Status")?.uppercased() == "ON"
        } catch let error as S3Error where Self.meansNoLockConfiguration(error) {
            return false
        }
    }

    /// `PutObjectLegalHold`.
    public func putObjectLegalHold(bucket: String, key: String, on: Bool, versionID: String? = nil) async throws {
        var query: [(name: String, value: String)] = [("legal-hold", "")]
        if let versionID { query.append(("versionId", versionID)) }
        var writer = XMLWriter()
        writer.element("LegalHold", namespace: true) { xml in xml.element("Status", text: on ? "ON" : "OFF") }
        _ = try await execute(S3Request(operation: "PutObjectLegalHold", method: .PUT, bucket: bucket, key: key,
                                        query: query, body: .text(writer.output)))
    }

    /// `RestoreObject`: asks S3 for a temporary readable copy of an archived object for `days`.
    /// A restore already running is reported, not re-requested.
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_RestoreObject.html>.
    public func restoreObject(bucket: String, key: String, days: Int, tier: RestoreTier,
                              versionID: String? = nil) async throws -> RestoreRequestOutcome {
        var query: [(name: String, value: String)] = [("restore", "")]
        if let versionID { query.append(("versionId", versionID)) }
        var writer = XMLWriter()
        writer.element("RestoreRequest", namespace: true) { xml in
            xml.element("Days", text: String(days))
            xml.element("GlacierJobParameters") { xml in xml.element("Tier", text: tier.rawValue) }
        }
        let request = S3Request(operation: "RestoreObject", method: .POST, bucket: bucket, key: key, query: query,
                                body: .text(writer.output))
        do {
            let response = try await execute(request)
            return response.status == 202 ? .started : .alreadyRestored
        } catch let error as S3Error where error.code == .restoreAlreadyInProgress {
            return .alreadyInProgress
        } catch let error as S3Error where error.status == 405 || error.status == 501 {
            // No RestoreObject here: an archive tier without it would leave the object
            // unreadable for good, so the refusal stands unless the object reads now.
            guard try await isReadable(bucket: bucket, key: key, versionID: versionID) else { throw error }
            return .noArchiveTier
        }
    }

    /// Whether the object's content can be read now: a one-byte ranged GET answers. `false`
    /// when the server says it is archived (403 `InvalidObjectState`); other errors are thrown.
    public func isReadable(bucket: String, key: String, versionID: String? = nil) async throws -> Bool {
        do {
            _ = try await getObject(bucket: bucket, key: key, range: 0...0, versionID: versionID, maxBytes: 1)
            return true
        } catch let error as S3Error where error.code == .invalidObjectState {
            return false
        } catch let error as S3Error where error.status == 416 {
            return true  // an empty object has no first byte, and nothing to restore either
        }
    }
}
