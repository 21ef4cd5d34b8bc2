import Foundation
import Logging

/// A swift-log handler writing one JSON object per line to standard error, for Kubernetes log
/// collectors: `{"ts":..., "level":..., "label":..., "msg":..., <metadata>}`.
public struct JSONLogHandler: LogHandler {
    /// Metadata attached to every record.
    public var metadata: Logger.Metadata = [:]
    /// Records below this level are dropped.
    public var logLevel: Logger.Level = .info
    let label: String

    /// A handler for `label`.
    public init(label: String) { self.label = label }

    /// Metadata access by key.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one JSON line.
    public func log(event: LogEvent) {
        var record: [String: String] = ["ts": JSONCoding.timestamp(Date()), "level": event.level.rawValue,
                                        "label": label, "msg": event.message.description]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            record[key] = value.description
        }
        guard var line = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) else { return }
        line.append(0x0A)
        try? FileHandle.standardError.write(contentsOf: line)
    }
}
