import Foundation

/// A JSON document, as ``JSONCoding/encoder`` writes it, with one top-level array too long to
/// hold written an element at a time: the document is encoded with the array empty and cut
/// around it, and each element is encoded alone and indented as the encoder indents it there.
public struct JSONArraySplice: Sendable {
    /// The document up to and including `"<property>" : `.
    public let head: String
    /// The array as the encoder writes it empty.
    public let emptyArray: String
    /// The document after the array, to its end.
    public let tail: String

    /// Cuts `skeleton`, whose array `property` is empty, around that array.
    /// - Throws: `StrataError(.failure)` if the encoder's layout is not the one expected.
    public init<Document: Encodable>(skeleton: Document, property: String) throws {
        let text = String(decoding: try JSONCoding.encoder.encode(skeleton), as: UTF8.self)
        // Top-level properties are indented two spaces; the array is empty, so its `]` is the first after it.
        guard let name = text.range(of: "\n  \"\(property)\" : "),
              let close = text.range(of: "]", range: name.upperBound..<text.endIndex) else {
            throw StrataError(.failure, "the JSON encoder's layout is not the one expected around \"\(property)\"")
        }
        head = String(text[..<name.upperBound])
        emptyArray = String(text[name.upperBound..<close.upperBound])
        tail = String(text[close.upperBound...])
    }

    /// `value` as an element of the array: after `[` when it is the first, after a comma otherwise.
    public static func element<Element: Encodable>(_ value: Element, first: Bool) throws -> String {
        let object = String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self)
        return (first ? "[\n" : ",\n") + object.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "    " + $0 }.joined(separator: "\n")
    }

    /// What closes the array after `count` elements.
    public func closing(count: Int) -> String { count == 0 ? emptyArray : "\n  ]" }
}
