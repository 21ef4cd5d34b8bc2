import Foundation

/// Where two documents first differ, with some context either side; `nil` when they are equal.
/// Tests compare large plans this way so that a failure reports in a few lines, not in a diff of
/// megabytes (which swift-testing can take many minutes to render).
public func firstDifference(_ a: Data, _ b: Data) -> String? {
    guard a != b else { return nil }
    let (x, y) = (Array(a), Array(b))
    let at = zip(x, y).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(x.count, y.count)
    func around(_ bytes: [UInt8]) -> String { String(decoding: bytes[max(0, at - 80)..<min(bytes.count, at + 80)], as: UTF8.self) }
    return "differ at byte \(at) of \(a.count) / \(b.count):\n\(around(x))\n\(around(y))"
}
