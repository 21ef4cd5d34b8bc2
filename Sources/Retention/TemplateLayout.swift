import Foundation

/// Backups named by a key template (`{series}`, `{time:...}`, `{file}`): one set per series and
/// time. Sets stand alone, so the layout reads no documents and constrains nothing.
struct TemplateLayout: BackupLayout {
    /// The template keys are matched against (relative to the policy prefix or not, as written).
    let template: KeyTemplate
    /// The zone key times are read in.
    let zone: PolicyTimeZone

    /// Groups by template: one set per (series, time).
    func group(_ objects: [InventoryObject], indices: [ObjectIndex]) -> SetGrouping {
        struct SetKey: Hashable { let series: String; let epoch: Int64 }
        var grouping = SetGrouping()
        var byKey: [SetKey: Int] = [:]
        var records: [SetRecord] = []
        for index in indices {
            let object = objects[index]
            guard let (series, epoch) = template.match(object.key, zone: zone) else {
                grouping.unrecognized.insert(object.key)
                continue
            }
            let setKey = SetKey(series: series, epoch: epoch)
            let slot: Int
            if let existing = byKey[setKey] { slot = existing } else {
                slot = records.count
                byKey[setKey] = slot
                records.append(SetRecord(id: SetRecord.templateID(series: series, epoch: epoch), series: series, epoch: epoch))
            }
            if object.isCurrent { records[slot].current.append(index) } else { records[slot].versions.append(index) }
        }
        grouping.adopt(records, objects: objects)
        return grouping
    }

    func setID(ofKey key: String) -> String? {
        template.match(key, zone: zone).map { SetRecord.templateID(series: $0.series, epoch: $0.epochSeconds) }
    }

    func documentsNeeded(_ objects: [InventoryObject], indices: [ObjectIndex]) -> [String] { [] }

    func constraints(sets: [SetRecord], documents: [String: String]) -> any LayoutConstraints { IndependentSets() }

    func retrievalDocuments(present: Set<String>) -> [String] { [] }

    func retrievalKeys(of set: PlanSet, sets: [PlanSet], currentKeys: [String],
                       documents: [String: String]) -> (keys: [String], notes: [String]) { ([], []) }
}
