import Foundation

/// Inventory objects that can be read more than once, in the same order each time: what the
/// streaming planner passes over instead of holding the inventory. A spool file on disk serves
/// large buckets (StrataKit); an array serves tests and small inventories.
public protocol ObjectStream {
    /// Calls `body` with every object, in the same order on every call.
    func forEachObject(_ body: (InventoryObject) throws -> Void) throws

    /// Calls `body` with every object whose key (its UTF-8) `accepts`, in the same order on
    /// every call: a stream that can read a key alone decodes only the objects accepted.
    func forEachObject(whereKey accepts: (UnsafeBufferPointer<UInt8>) -> Bool, _ body: (InventoryObject) throws -> Void) throws
}

extension ObjectStream {
    /// Tests each object's key as ``forEachObject(_:)`` hands it over.
    public func forEachObject(whereKey accepts: (UnsafeBufferPointer<UInt8>) -> Bool, _ body: (InventoryObject) throws -> Void) throws {
        try forEachObject { object in
            var key = object.key
            if key.withUTF8(accepts) { try body(object) }
        }
    }
}

extension Array: ObjectStream where Element == InventoryObject {
    /// Calls `body` with every element, in order.
    public func forEachObject(_ body: (InventoryObject) throws -> Void) rethrows {
        for object in self { try body(object) }
    }
}
