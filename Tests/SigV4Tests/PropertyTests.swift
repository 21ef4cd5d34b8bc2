import Foundation
import PropertyBased
@testable import SigV4
import Testing

/// Invariants of canonicalization on random input (the botocore corpus pins the exact output).
@Suite("Canonicalization properties")
struct PropertyTests {
    static let characters: [Character] = Array("abcXYZ019-._~ +%=&?#!*'()[]$,;:@/\t") + ["é", "ሴ", "😀", "中"]
    static let text = Gen<Character?>.element(of: characters).map { $0 ?? "a" }.string(of: 0...16)

    @Test("percent-decoding undoes UriEncode, and UriEncode's output is canonical")
    func roundTrip() async {
        await propertyCheck(count: 300, input: Self.text) { text in
            let encoded = URIEncoding.encode(text)
            #expect(URIEncoding.decode(encoded) == Array(text.utf8))
            // Already-canonical text survives canonicalization (decode, then encode) unchanged.
            #expect(CanonicalRequest.canonicalQuery("k=" + encoded) == "k=" + encoded)
            #expect(encoded.utf8.allSatisfy { URIEncoding.isUnreserved($0) || $0 == UInt8(ascii: "%") })
            let path = URIEncoding.encode(text, keepSlash: true)
            #expect(path.split(separator: "/", omittingEmptySubsequences: false).count
                    == text.split(separator: "/", omittingEmptySubsequences: false).count)
        }
    }

    @Test("the canonical query does not depend on parameter order or on how the wire encoded it")
    func queryOrderAndEncoding() async {
        let items = PropertyBased.zip(Self.text, Self.text).array(of: 0...6)
        await propertyCheck(count: 300, input: items) { items in
            let pairs = items.map { (name: $0.0, value: $0.1) }
            let canonical = CanonicalRequest.canonicalQuery(URIEncoding.query(pairs))
            #expect(CanonicalRequest.canonicalQuery(URIEncoding.query(pairs.reversed())) == canonical)
            // Lowercase hex and literally-sent unreserved characters must canonicalize the same.
            let sloppy = URIEncoding.query(pairs).replacingOccurrences(of: "%2F", with: "%2f")
            #expect(CanonicalRequest.canonicalQuery(sloppy) == canonical)
            let parts = canonical.isEmpty ? [] : canonical.split(separator: "&", omittingEmptySubsequences: false)
            #expect(parts.count == pairs.count)
            let split = parts.map { part in
                let equals = part.firstIndex(of: "=") ?? part.endIndex
                return (name: Array(part[..<equals].utf8), value: Array(part[equals...].utf8.dropFirst()))
            }
            let inOrder = zip(split, split.dropFirst()).allSatisfy { a, b in
                a.name == b.name ? !b.value.lexicographicallyPrecedes(a.value) : a.name.lexicographicallyPrecedes(b.name)
            }
            #expect(inOrder, "not sorted by name, then value: \(canonical)")
        }
    }

    @Test("header names are case-insensitive and signing does not depend on header order")
    func headerCaseAndOrder() async {
        let names = Gen<String?>.element(of: ["Content-Type", "x-amz-meta-a", "X-Amz-Meta-B", "Range", "x-amz-tagging"]).map { $0 ?? "Range" }
        let headers = PropertyBased.zip(names, Self.text).array(of: 0...6)
        await propertyCheck(count: 200, input: headers) { raw in
            let distinct = Dictionary(raw.map { ($0.0.lowercased(), $0) }, uniquingKeysWith: { first, _ in first }).values
            let given = distinct.map { HTTPHeader($0.0, $0.1) }
            let swapped = given.reversed().map { HTTPHeader($0.name.uppercased(), $0.value) }
            let signer = Signer(credentials: Credentials(accessKeyID: "AKID", secretAccessKey: "secret"), region: "us-east-1")
            let date = Date(timeIntervalSince1970: 1_764_000_000)
            let a = signer.signHeaders(method: "PUT", host: "h", path: "/b/k", headers: given, payload: .unsigned, date: date)
            let b = signer.signHeaders(method: "PUT", host: "h", path: "/b/k", headers: Array(swapped), payload: .unsigned, date: date)
            #expect(a.canonicalRequest == b.canonicalRequest)
            #expect(a.signature == b.signature)
        }
    }

    @Test("the aws-chunked length computed up front equals the framed length, for any size and chunk size")
    func encodedLength() async throws {
        let input = PropertyBased.zip(Gen.int(in: 0...300_000), Gen.int(in: 8192...70_000))
        await propertyCheck(count: 40, input: input) { length, chunkSize in
            let modes: [StreamingPayload.Mode] = [.signed, .signedWithTrailer(.crc32), .unsignedWithTrailer(.sha256)]
            for mode in modes {
                var chunks = ChunkSigner(mode: mode, seedSignature: String(repeating: "0", count: 64),
                                         signer: Signer(credentials: Credentials(accessKeyID: "A", secretAccessKey: "S"), region: "r"),
                                         date: Date(timeIntervalSince1970: 0))
                let body = [UInt8](repeating: 0x61, count: length)
                var framed = 0
                var offset = 0
                while offset < length {
                    let end = min(offset + chunkSize, length)
                    framed += body[offset..<end].withUnsafeBytes { chunks.signChunk($0) }.count
                    offset = end
                }
                framed += chunks.finalChunk().count
                #expect(framed == (try? ChunkSigner.encodedContentLength(payloadLength: length, chunkSize: chunkSize, mode: mode)))
            }
        }
    }
}
