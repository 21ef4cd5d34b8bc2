import Foundation

extension Policy {
    /// The id of the backup set `key` belongs to, as the plan names it (``PlanSet/id``), or `nil`
    /// for a key outside the prefix or in no set (pgBackRest metadata and WAL, unrecognized keys).
    ///
    /// A live set's `members` are its current keys only, so a key someone hid with a delete
    /// marker is found in its set through this, the same matching the planner groups by.
    public func setID(ofKey key: String) -> String? {
        guard key.utf8.starts(with: prefix.utf8) else { return nil }
        switch layout {
        case .template(let template):
            guard let (series, epoch) = template.match(key, zone: timeZone) else { return nil }
            return SetRecord.templateID(series: series, epoch: epoch)
        case .pgbackrest(let stanza):
            let relative = Substring(key.utf8.dropFirst(prefix.utf8.count))
            guard case .setFile(let label, _) = PgBackRest.classify(relative, stanza: stanza),
                  PgBackRest.Label(label, zone: timeZone) != nil else { return nil }
            return label
        }
    }
}
