import Foundation

/// Prices a component's objects before and after a plan. Sums are integers per class (bytes,
/// KiB-hours) and priced at the end, so the figures do not depend on inventory order.
struct CostModel {
    let pricing: PricingTable
    let now: Int64

    /// Integer sums per class. Known classes use fixed slots (no hashing per object); names the
    /// module does not know go to a dictionary.
    private struct Sums {
        var known = [Int64](repeating: 0, count: StorageClass.known.count)
        var other: [String: Int64] = [:]

        mutating func add(_ storageClass: StorageClass, _ value: Int64) {
            if let slot = storageClass.knownIndex {
                known[slot] = known[slot].saturatingAdd(value)
            } else {
                other[storageClass.rawValue, default: 0] = other[storageClass.rawValue, default: 0].saturatingAdd(value)
            }
        }

        var entries: [(StorageClass, Int64)] {
            zip(StorageClass.known, known).filter { $0.1 != 0 } + other.sorted { $0.key < $1.key }.map { (StorageClass(rawValue: $0.key), $0.value) }
        }
    }

    /// `deleted` and `moved` are inventory indices the plan deletes or transitions.
    func cost(objects: [InventoryObject], indices: [ObjectIndex], deleted: [Bool], moved: [ObjectIndex: StorageClass]) -> PlanCost {
        var tally = Tally(model: self)
        for index in indices {
            tally.add(objects[index], deleted: deleted[Int(index)], movedTo: moved.isEmpty ? nil : moved[index])
        }
        return tally.cost
    }

    /// The running sums of one component, one object at a time (in any order: the sums are
    /// integers), for a planner that does not hold the objects.
    struct Tally {
        let model: CostModel
        private var before = Sums(), after = Sums(), transitions = Sums(), early = Sums()
        private let minimumHours: [Int64]

        init(model: CostModel) {
            self.model = model
            minimumHours = StorageClass.known.map { Int64(model.pricing.price($0).minimumDays) * 24 }
        }

        /// Counts `object`, which the plan deletes, moves to `movedTo`, or leaves.
        mutating func add(_ object: InventoryObject, deleted: Bool, movedTo target: StorageClass?) {
            guard !object.isDeleteMarker else { return }
            let pricing = model.pricing
            let current = object.storageClass
            let billable = pricing.billableBytes(object.size, in: current)
            before.add(current, billable)
            if deleted || target != nil {
                // Billable KiB x hours of minimum duration left in the class being left.
                let minimum = current.knownIndex.map { minimumHours[$0] } ?? Int64(pricing.price(current).minimumDays) * 24
                let ageHours = model.now.saturatingSubtract(Int64(object.lastModified.timeIntervalSince1970)) / 3_600
                if ageHours < minimum { early.add(current, (billable / 1_024).saturatingMultiply(minimum.saturatingSubtract(ageHours))) }
            }
            if deleted { return }
            if let target {
                after.add(target, pricing.billableBytes(object.size, in: target))
                transitions.add(target, 1)
            } else {
                after.add(current, billable)
            }
        }

        /// The cost of what was added.
        var cost: PlanCost { model.price(before: before, after: after, transitions: transitions, early: early) }
    }

    private func price(before: Sums, after: Sums, transitions: Sums, early: Sums) -> PlanCost {
        var cost = PlanCost()
        func monthly(_ bytes: Int64, _ storageClass: StorageClass) -> Double {
            Double(bytes) / PricingTable.bytesPerGB * pricing.price(storageClass).storagePerGBMonth
        }
        for (storageClass, bytes) in before.entries { cost.monthlyBefore += monthly(bytes, storageClass) }
        for (storageClass, bytes) in after.entries { cost.monthlyAfter += monthly(bytes, storageClass) }
        for (storageClass, count) in transitions.entries {
            cost.transitionRequests += Double(count) * pricing.price(storageClass).transitionPer1000 / 1_000
        }
        for (storageClass, kibHours) in early.entries {
            // KiB-hours -> GB-months at 30-day months.
            cost.earlyDeletion += Double(kibHours) * 1_024 / PricingTable.bytesPerGB / (30 * 24) * pricing.price(storageClass).storagePerGBMonth
        }
        return cost
    }
}
