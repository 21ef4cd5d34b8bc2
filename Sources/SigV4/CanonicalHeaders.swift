/// The `CanonicalHeaders` and `SignedHeaders` parts of the canonical request: each signed header
/// as `lowercase-name:trimmed-value\n`, sorted by name, the values of a repeated name joined
/// with `,` in the order given; a newline; then the sorted names joined with `;`.
///
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request>.
enum CanonicalHeaders {
    /// Where one signed header's canonical name and value lie in the scratch buffer.
    private struct Entry {
        var name: Range<Int>
        var value: Range<Int>
    }

    /// An upper bound of what ``write(_:to:)`` writes for `headers` (trimming, leaving headers
    /// unsigned and joining repeated names only shorten it).
    static func maximumLength(_ headers: [HTTPHeader]) -> Int {
        headers.reduce(1) { $0 + 2 * $1.name.utf8.count + $1.value.utf8.count + 3 }
    }

    /// Writes the canonical headers, a newline and the signed-headers list into `text`, and
    /// returns where the list lies in it.
    ///
    /// This runs for every request sent: each header is canonicalized once into a scratch
    /// buffer on the stack, then sorted and copied out by position, with no String made.
    static func write(_ headers: [HTTPHeader], to text: inout ByteWriter) -> Range<Int> {
        let scratchSize = headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: scratchSize) { scratchBuffer in
            withUnsafeTemporaryAllocation(of: Entry.self, capacity: headers.count) { entryBuffer in
                var scratch = ByteWriter(scratchBuffer)
                let count = canonicalize(headers, into: &scratch, entries: entryBuffer)
                let canonical = scratch.bytes
                let entries = UnsafeBufferPointer(rebasing: entryBuffer[..<count])
                func sameName(_ a: Int, _ b: Int) -> Bool {
                    canonical[entries[a].name].elementsEqual(canonical[entries[b].name])
                }

                var index = 0
                while index < entries.count {
                    let first = index
                    text.append(canonical[entries[index].name])
                    text.append(UInt8(ascii: ":"))
                    text.append(canonical[entries[index].value])
                    index += 1
                    while index < entries.count, sameName(index, first) {
                        text.append(UInt8(ascii: ","))
                        text.append(canonical[entries[index].value])
                        index += 1
                    }
                    text.append(UInt8(ascii: "\n"))
                }
                text.append(UInt8(ascii: "\n"))
                let start = text.count
                for index in entries.indices where index == 0 || !sameName(index, index - 1) {
                    if index > 0 { text.append(UInt8(ascii: ";")) }
                    text.append(canonical[entries[index].name])
                }
                return start..<text.count
            }
        }
    }

    /// Writes each signed header's lowercase name and trimmed value into `scratch`, and their
    /// places into `entries` sorted by name, stable (repeated names keep their order); returns
    /// how many there are. An insertion sort: requests carry a handful of headers.
    private static func canonicalize(
        _ headers: [HTTPHeader], into scratch: inout ByteWriter, entries: UnsafeMutableBufferPointer<Entry>
    ) -> Int {
        precondition(entries.count >= headers.count)
        var count = 0
        for header in headers {
            let nameStart = scratch.count
            header.name.withUTF8Bytes { scratch.appendLowercased($0) }
            let valueStart = scratch.count
            if isUnsigned(scratch.bytes[nameStart..<valueStart]) {
                scratch.rewind(to: nameStart)
                continue
            }
            header.value.withUTF8Bytes { appendTrimmed($0, to: &scratch) }
            let entry = Entry(name: nameStart..<valueStart, value: valueStart..<scratch.count)
            let canonical = scratch.bytes
            var slot = count
            // `Entry` is a plain value, so assigning into the not yet initialized slots is fine.
            while slot > 0, canonical[entry.name].lexicographicallyPrecedes(canonical[entries[slot - 1].name]) {
                entries[slot] = entries[slot - 1]
                slot -= 1
            }
            entries[slot] = entry
            count += 1
        }
        return count
    }

    /// `Trimall`: appends `value` without leading and trailing whitespace, and with each inner
    /// run of whitespace made one space.
    static func appendTrimmed(_ value: UnsafeBufferPointer<UInt8>, to text: inout ByteWriter) {
        if !needsTrimming(value) {
            text.append(value)
            return
        }
        var pendingSpace = false
        var wroteAny = false
        for byte in value {
            if isWhitespace(byte) {
                pendingSpace = wroteAny
            } else {
                if pendingSpace { text.append(UInt8(ascii: " ")); pendingSpace = false }
                text.append(byte)
                wroteAny = true
            }
        }
    }

    /// Whether `value` has whitespace at either end, or inner whitespace other than single spaces.
    private static func needsTrimming(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = value.first, let last = value.last else { return false }
        if isWhitespace(first) || isWhitespace(last) { return true }
        var previousWasSpace = false
        for byte in value {
            // Above the space character nothing is whitespace: the common case, one comparison.
            if byte > UInt8(ascii: " ") { previousWasSpace = false; continue }
            guard isWhitespace(byte) else { previousWasSpace = false; continue }
            if previousWasSpace || byte != UInt8(ascii: " ") { return true }
            previousWasSpace = true
        }
        return false
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || (byte >= 0x09 && byte <= 0x0D)
    }

    /// Headers that are never signed: hop-by-hop fields a proxy may drop or rewrite, and the
    /// tracing and user-agent fields that infrastructure adds; the same list as botocore.
    private static let unsignedNames = [
        "authorization", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]
    /// Bit `n` is set when an unsigned name is `n` bytes long: most names are ruled out by
    /// their length alone.
    private static let unsignedNameLengths: UInt64 = unsignedNames.reduce(0) { $0 | 1 << UInt64($1.utf8.count) }

    /// Whether a header is left out of the signature, given its lowercase name.
    private static func isUnsigned(_ name: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        let length = name.count
        guard length < 64, unsignedNameLengths & (1 << UInt64(length)) != 0 else { return false }
        return unsignedNames.contains { $0.utf8.count == length && $0.utf8.elementsEqual(name) }
    }
}
