import Foundation
import NIOHTTP1
@testable import S3
import Testing

/// Inputs `tools/fuzz` found that crashed the client, each kept as a test before its fix (the raw
/// reproducers are also in the seed corpus, Tests/Fixtures/fuzz/<target>/regression-*).
struct FuzzRegressionTests {
    /// s3-error, crash-bb2eb8cb: a processing instruction whose target is not UTF-8
    /// (`<?\xff...?>`) trapped inside Foundation's XMLParser (a force unwrap of the target
    /// string in its libxml2 callback), so any answer with such bytes killed the process. Now
    /// a body that is not UTF-8 is a malformed answer, like any other unparsable XML.
    @Test("a body that is not UTF-8 is malformed XML, not a trap", arguments: [
        Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><?".utf8) + [0xFF] + Array("pi data?></Error>".utf8),
        Array("<Error><?".utf8) + [0xFF] + Array("?></Error>".utf8),
        Array("<Ersor><Code>Sl<?".utf8) + [0xFF] + Array("xml ve".utf8) + [0xF2] + Array("sion=<Mode>\"1.0\"ng=\"UTF-8\"?> urrequest (ate.</Message></Error>".utf8),
    ])
    func nonUTF8ProcessingInstruction(body: [UInt8]) {
        #expect(throws: XMLParseError.self) { _ = try XMLNode.parse(Data(body)) }
        let request = S3Request(operation: "GetObject", method: .GET, bucket: "b", key: "k")
        let error = S3ErrorParser.error(request: request, status: 503, headers: HTTPHeaders(), body: Data(body))
        #expect(error.code == .serviceUnavailable, "the code comes from the status when the body cannot be read")
    }

    /// s3-response, crash-addaa0e: any processing instruction without data (`<?x?>`) made
    /// Foundation's XMLParser call strlen on a null pointer (SIGSEGV). S3 never sends processing
    /// instructions (only the XML declaration at the very start), so one is a malformed answer.
    @Test("a processing instruction is malformed XML, not a crash", arguments: [
        "<Error><Code>SlowDown</Code><?x?></Error>",
        "<?xmPEb?>\n<Err>-><Cr><Co",
        "<?xml version=\"1.0\"?><ListBucketResult><?pi data?></ListBucketResult>",
        "  <?xml version=\"1.0\"?><A/>",
        "<A/><?x?>",
        // s3-error crash-5124ecc3, s3-response crash-3f7001f6: a malformed XML declaration that
        // hides a processing instruction before its `?>`.
        "<?xml versi/C\"?<?xml v>\n<E<CodeF<ECdeo<?xxpiratio?>n><",
        "<?xml v<?x?>?><A/>",
    ])
    func processingInstruction(body: String) {
        #expect(throws: XMLParseError.self) { _ = try XMLNode.parse(Data(body.utf8)) }
        let request = S3Request(operation: "GetObject", method: .GET, bucket: "b", key: "k")
        let error = S3ErrorParser.error(request: request, status: 500, headers: HTTPHeaders(), body: Data(body.utf8))
        #expect(error.code == .internalError)
    }

    @Test("the XML declaration at the start still parses", arguments: [
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<A><B>x</B></A>", "\u{FEFF}<?xml version=\"1.0\"?><A><B>x</B></A>", "<A><B>x</B></A>",
    ])
    func declarationParses(body: String) throws {
        #expect(try XMLNode.parse(Data(body.utf8)).string("B") == "x")
    }

    @Test func theParseErrorLocatesTheFirstByteThatIsNotUTF8() throws {
        let body = Data(Array("<A>\n<B>x".utf8) + [0xC3] + Array("</B></A>".utf8))
        do {
            _ = try XMLNode.parse(body)
            Issue.record("parsed a body that is not UTF-8")
        } catch {
            #expect(error.line == 2 && error.column == 5)
            #expect(error.reason.contains("UTF-8"))
        }
    }

    @Test func utf8TextStillParses() throws {
        let node = try XMLNode.parse(Data("<?xml version=\"1.0\"?><Key>caf\u{E9} \u{1F600}</Key>".utf8))
        #expect(node.text == "caf\u{E9} \u{1F600}")
    }
}
