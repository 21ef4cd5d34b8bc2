/// Builds the small XML request bodies S3 takes (DeleteObjects, CompleteMultipartUpload,
/// tagging, lifecycle, restore), escaping text correctly.
struct XMLWriter {
    private(set) var output = #"<?xml version="1.0" encoding="UTF-8"?>"#

    /// Opens `name`, runs `body`, closes it. The root element carries S3's namespace.
    mutating func element(_ name: String, namespace: Bool = false, _ body: (inout XMLWriter) -> Void) {
        output += namespace ? #"<\#(name) xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"# : "<\(name)>"
        body(&self)
        output += "</\(name)>"
    }

    /// `<name>escaped text</name>`.
    mutating func element(_ name: String, text: String) {
        output += "<\(name)>\(Self.escape(text))</\(name)>"
    }

    /// Whether XML 1.0 can carry `text` at all: not with a C0 control character other than tab,
    /// line feed and carriage return, nor U+FFFE or U+FFFF, not even as a reference
    /// (<https://www.w3.org/TR/xml/#charsets>).
    static func canCarry(_ text: String) -> Bool {
        !text.unicodeScalars.contains {
            ($0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r") || $0.value == 0xFFFE || $0.value == 0xFFFF
        }
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // Keys may hold control characters; XML 1.0 can only carry them as references.
            case "\u{09}", "\u{0A}", "\u{0D}": out += "&#\(scalar.value);"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
