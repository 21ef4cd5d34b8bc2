import Foundation

/// Prices a component's objects before and after a plan.
struct CostModel {
    let pricing: PricingTable
    let now: Int64

    /// `deleted` and `moved` are inventory indices the plan deletes or transitions.
    func cost(objects: [InventoryObject], indices: [Int], deleted: Set<Int>, moved: [Int: StorageClass]) -> PlanCost {
        var cost = PlanCost()
        for index in indices {
            let object = objects[index]
            guard !object.isDeleteMarker else { continue }
            let monthly = pricing.monthlyCost(size: object.size, in: object.storageClass)
            cost.monthlyBefore += monthly
            let ageDays = Double(now - Int64(object.lastModified.timeIntervalSince1970)) / 86_400
            if deleted.contains(index) {
                cost.earlyDeletion += pricing.earlyRemovalCharge(size: object.size, in: object.storageClass, ageDays: ageDays)
            } else if object.isCurrent, let target = moved[index] {
                cost.monthlyAfter += pricing.monthlyCost(size: object.size, in: target)
                cost.transitionRequests += pricing.price(target).transitionPer1000 / 1000
                cost.earlyDeletion += pricing.earlyRemovalCharge(size: object.size, in: object.storageClass, ageDays: ageDays)
            } else {
                cost.monthlyAfter += monthly
            }
        }
        return cost
    }
}
