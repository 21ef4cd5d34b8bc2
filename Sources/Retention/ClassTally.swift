import Foundation

/// Objects and bytes per storage class, one object at a time.
struct ClassTally {
    /// Objects counted.
    private(set) var objects = 0
    /// Their bytes (saturating).
    private(set) var bytes: Int64 = 0
    // Fixed slots for the known classes: a dictionary lookup per object costs more than the rest.
    private var classObjects = [Int](repeating: 0, count: StorageClass.known.count)
    private var classBytes = [Int64](repeating: 0, count: StorageClass.known.count)
    private var otherClasses: [String: PlanTotals.ClassTotal] = [:]

    /// Counts one object.
    mutating func add(_ storageClass: StorageClass, _ size: Int64) {
        objects += 1
        bytes = bytes.saturatingAdd(size)
        if let slot = storageClass.knownIndex {
            classObjects[slot] += 1
            classBytes[slot] = classBytes[slot].saturatingAdd(size)
        } else {
            otherClasses[storageClass.rawValue, default: .init(storageClass: storageClass, objects: 0, bytes: 0)].objects += 1
            otherClasses[storageClass.rawValue, default: .init(storageClass: storageClass, objects: 0, bytes: 0)].bytes.saturatingIncrease(by: size)
        }
    }

    /// The classes that hold objects, sorted by class.
    var byClass: [PlanTotals.ClassTotal] {
        (StorageClass.known.indices.filter { classObjects[$0] > 0 }.map {
            PlanTotals.ClassTotal(storageClass: StorageClass.known[$0], objects: classObjects[$0], bytes: classBytes[$0])
        } + otherClasses.values).sorted { $0.storageClass < $1.storageClass }
    }
}
