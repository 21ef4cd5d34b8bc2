import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A small, immutable XML element tree, enough for S3's responses: element names without
/// namespace prefixes, text content and child elements. Built with Foundation's `XMLParser`
/// (libxml2 on Linux).
public struct XMLNode: Sendable, Equatable {
    /// Element name, namespace prefix removed.
    public var name: String
    /// Concatenated text directly inside this element, untrimmed.
    public var text: String
    /// Child elements in document order.
    public var children: [XMLNode]

    /// Creates a node.
    public init(name: String, text: String = "", children: [XMLNode] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// The first child named `name`.
    public func child(_ name: String) -> XMLNode? { children.first { $0.name == name } }

    /// Every child named `name`.
    public func children(_ name: String) -> [XMLNode] { children.filter { $0.name == name } }

    /// The text of the first child named `name`, or `nil` if there is none.
    public func string(_ name: String) -> String? { child(name)?.text }

    /// Parses `data` into its root element. Throws ``XMLParseError`` on malformed or truncated input.
    /// C0 control characters, which XML 1.0 forbids, are read as the characters they are, whether
    /// sent as bytes or as character references (see ``XMLControlCharacters``).
    public static func parse(_ data: Data) throws(XMLParseError) -> XMLNode {
        // S3 answers in UTF-8. Bytes that are not UTF-8 can reach Foundation's libxml2 callbacks
        // unconverted, and its XMLParser traps on them (a processing instruction `<?\xff?>`
        // crashed the process; found by tools/fuzz), so they are refused before parsing.
        if String(validating: data, as: UTF8.self) == nil, let offset = firstNonUTF8Offset(data) {
            throw XMLParseError(at: offset, in: data, reason: "byte \(offset) is not UTF-8; S3 answers in UTF-8")
        }
        // Foundation's XMLParser also crashes on a processing instruction without data (`<?x?>`:
        // strlen of a null pointer; found by tools/fuzz). S3 sends none, only the XML declaration
        // at the very start, so any other `<?` is refused.
        if let offset = processingInstructionOffset(data) {
            throw XMLParseError(at: offset, in: data, reason: "processing instruction at byte \(offset); S3 answers have none")
        }
        // Control characters XML 1.0 cannot carry (a key's U+0001 as `&#x01;`, which RGW writes
        // into the markers it does not URL-encode) are read as XML 1.1 reads them.
        let protected = XMLControlCharacters.protect(data)
        let builder = TreeBuilder(restoresControlCharacters: protected != nil)
        let parser = XMLParser(data: protected ?? data)
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        let ok = parser.parse()
        guard ok, let root = builder.root else {
            let reason = parser.parserError.map { String(describing: $0) } ?? "no root element"
            throw XMLParseError(line: parser.lineNumber, column: parser.columnNumber, reason: reason)
        }
        return root
    }

    /// Offset of the first `<?` in `data` that is not the XML declaration at its start (after an
    /// optional byte-order mark), or `nil`.
    private static func processingInstructionOffset(_ data: Data) -> Int? {
        data.withUnsafeBytes { raw -> Int? in
            let bytes = raw.bindMemory(to: UInt8.self)
            let less = UInt8(ascii: "<"), question = UInt8(ascii: "?"), greater = UInt8(ascii: ">")
            var index = 0
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
            if bytes.count - index >= 6, bytes[index...].starts(with: "<?xml".utf8),
               [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n")].contains(bytes[index + 5]) {
                var end = index + 5
                // A declaration holds no `<`: one there may open an instruction libxml2 reads.
                while end + 1 < bytes.count, !(bytes[end] == question && bytes[end + 1] == greater) {
                    if bytes[end] == less { return end }
                    end += 1
                }
                guard end + 1 < bytes.count else { return index }
                index = end + 2
            }
            while index + 1 < bytes.count {
                if bytes[index] == less, bytes[index + 1] == question { return index }
                index += 1
            }
            return nil
        }
    }

    /// Offset of the first byte of `data` that does not start a valid UTF-8 sequence, or `nil`.
    private static func firstNonUTF8Offset(_ data: Data) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = data.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}

/// XML that could not be parsed: where, and what the parser said.
public struct XMLParseError: Error, Sendable, CustomStringConvertible {
    /// 1-based line of the failure.
    public var line: Int
    /// 1-based column of the failure.
    public var column: Int
    /// The parser's explanation.
    public var reason: String
    /// `line:column: reason`.
    public var description: String { "malformed XML at \(line):\(column): \(reason)" }
}

extension XMLParseError {
    /// An error at byte `offset` of `data`, located by line and column.
    init(at offset: Int, in data: Data, reason: String) {
        let before = data.prefix(offset)
        line = before.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        column = offset - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 - data.startIndex + 1 } ?? 0) + 1
        self.reason = reason
    }
}

/// SAX delegate that assembles ``XMLNode`` values. Used by one parse only, on one thread.
private final class TreeBuilder: NSObject, XMLParserDelegate {
    private struct Open {
        var name: String
        var text: String = ""
        var children: [XMLNode] = []
    }
    private var stack: [Open] = []
    var root: XMLNode?
    /// Whether the document went through ``XMLControlCharacters/protect(_:)``.
    private let restoresControlCharacters: Bool

    init(restoresControlCharacters: Bool) {
        self.restoresControlCharacters = restoresControlCharacters
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
        qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
    ) {
        let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
        stack.append(Open(name: local))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
    }

    func parser(
        _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?
    ) {
        guard let open = stack.popLast() else { return }
        let text = restoresControlCharacters ? XMLControlCharacters.restore(open.text) : open.text
        let node = XMLNode(name: open.name, text: text, children: open.children)
        if stack.isEmpty { root = node } else { stack[stack.count - 1].children.append(node) }
    }
}
