import Foundation

/// Backups named by a key template (`{series}`, `{time:...}`, `{file}`): one set per series and
/// time. Sets stand alone, so the layout reads no documents and constrains nothing.
struct TemplateLayout: BackupLayout {
    /// The template keys are matched against (relative to the policy prefix or not, as written).
    let template: KeyTemplate
    /// The zone key times are read in.
    let zone: PolicyTimeZone

    func makeGrouper() -> any SetGrouper { Grouper(template: template, zone: zone) }

    /// One set per (series, time) the template reads from a key.
    struct Grouper: SetGrouper {
        let template: KeyTemplate
        let zone: PolicyTimeZone
        private struct SetKey: Hashable { let series: String; let epoch: Int64 }
        private var byKey: [SetKey: Int] = [:]
        private(set) var records: [SetRecord] = []

        init(template: KeyTemplate, zone: PolicyTimeZone) {
            self.template = template
            self.zone = zone
        }

        mutating func classify(_ key: String) -> KeyRole {
            guard let (series, epoch) = template.match(key, zone: zone) else { return .unrecognized }
            let setKey = SetKey(series: series, epoch: epoch)
            if let slot = byKey[setKey] { return .member(slot: slot) }
            byKey[setKey] = records.count
            records.append(SetRecord(id: SetRecord.templateID(series: series, epoch: epoch), series: series, epoch: epoch))
            return .member(slot: records.count - 1)
        }
    }

    func setID(ofKey key: String) -> String? {
        template.match(key, zone: zone).map { SetRecord.templateID(series: $0.series, epoch: $0.epochSeconds) }
    }

    func documentsNeeded(_ objects: [InventoryObject], indices: [ObjectIndex]) -> [String] { [] }

    func mayBeDocument(_ key: String) -> Bool { false }

    func documentKeyTest() -> (UnsafeBufferPointer<UInt8>) -> Bool { { _ in false } }

    func constraints(sets: [SetRecord], documents: [String: String]) -> any LayoutConstraints { IndependentSets() }

    var retrievalDocumentCandidates: [String] { [] }

    func retrievalNeeds(of set: PlanSet, sets: [PlanSet], documents: [String: String]) -> RetrievalNeeds { .standalone }
}
