import Foundation

/// An incomplete multipart upload.
public struct MultipartUploadRecord: Sendable, Hashable {
    /// The key being uploaded.
    public var key: String
    /// The upload ID.
    public var uploadID: String
    /// When the upload was initiated.
    public var initiated: Date

    /// Creates a record.
    public init(key: String, uploadID: String, initiated: Date) {
        self.key = key
        self.uploadID = uploadID
        self.initiated = initiated
    }
}

/// Everything the planner knows about a bucket: object versions and incomplete uploads.
public struct Inventory: Sendable {
    /// Object versions (current and noncurrent) and delete markers.
    public var objects: [InventoryObject]
    /// Incomplete multipart uploads.
    public var uploads: [MultipartUploadRecord]

    /// Creates an inventory.
    public init(objects: [InventoryObject], uploads: [MultipartUploadRecord] = []) {
        self.objects = objects
        self.uploads = uploads
    }
}
