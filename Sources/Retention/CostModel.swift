import Foundation

/// Prices a component's objects before and after a plan. Sums are integers per class (bytes,
/// KiB-hours) and priced at the end, so the figures do not depend on inventory order.
struct CostModel {
    let pricing: PricingTable
    let now: Int64

    private struct Tally {
        var before: [StorageClass: Int64] = [:]
        var after: [StorageClass: Int64] = [:]
        var transitions: [StorageClass: Int] = [:]
        /// Billable KiB x hours of minimum duration left, per class left early.
        var early: [StorageClass: Int64] = [:]
    }

    /// `deleted` and `moved` are inventory indices the plan deletes or transitions.
    func cost(objects: [InventoryObject], indices: [Int], deleted: Set<Int>, moved: [Int: StorageClass]) -> PlanCost {
        var tally = Tally()
        for index in indices {
            let object = objects[index]
            guard !object.isDeleteMarker else { continue }
            let current = object.storageClass
            let billable = pricing.billableBytes(object.size, in: current)
            tally.before[current, default: 0] += billable
            let leaving = deleted.contains(index) || moved[index] != nil
            if leaving {
                let minimumHours = Int64(pricing.price(current).minimumDays) * 24
                let ageHours = (now - Int64(object.lastModified.timeIntervalSince1970)) / 3_600
                if ageHours < minimumHours { tally.early[current, default: 0] += (billable / 1_024) * (minimumHours - ageHours) }
            }
            if deleted.contains(index) { continue }
            if let target = moved[index] {
                tally.after[target, default: 0] += pricing.billableBytes(object.size, in: target)
                tally.transitions[target, default: 0] += 1
            } else {
                tally.after[current, default: 0] += billable
            }
        }
        var cost = PlanCost()
        func monthly(_ bytes: Int64, _ storageClass: StorageClass) -> Double {
            Double(bytes) / PricingTable.bytesPerGB * pricing.price(storageClass).storagePerGBMonth
        }
        for (storageClass, bytes) in tally.before.sorted(by: { $0.key < $1.key }) { cost.monthlyBefore += monthly(bytes, storageClass) }
        for (storageClass, bytes) in tally.after.sorted(by: { $0.key < $1.key }) { cost.monthlyAfter += monthly(bytes, storageClass) }
        for (storageClass, count) in tally.transitions.sorted(by: { $0.key < $1.key }) {
            cost.transitionRequests += Double(count) * pricing.price(storageClass).transitionPer1000 / 1_000
        }
        for (storageClass, kibHours) in tally.early.sorted(by: { $0.key < $1.key }) {
            // KiB-hours -> GB-months at 30-day months.
            cost.earlyDeletion += Double(kibHours) * 1_024 / PricingTable.bytesPerGB / (30 * 24) * pricing.price(storageClass).storagePerGBMonth
        }
        return cost
    }
}
