import Crypto
import Foundation
import SigV4

/// Header-signing and chunk-signing throughput (issue: SigV4). `tools/bench sign` runs it next to
/// botocore and openssl on the same machine.
///
/// Prints `key value` lines (parsed by `tools/bench`), each the best of five rounds:
/// - `header_signatures_per_second`: a typical S3 PUT, key cached, signed from host, path and
///   query as the S3 client does; `header_signatures_per_second_from_url`: the same from a `URL`;
/// - `chunk_signing_mb_per_second` / `chunk_framing_mb_per_second`: 64 KiB aws-chunked chunks,
///   header line only (zero copy) and fully framed (one copy);
/// - `raw_sha256_mb_per_second`: swift-crypto SHA-256 over the same bytes.
enum SignBenchmark {
    static func run(arguments: [String]) throws {
        let seconds = arguments.first.flatMap(Double.init) ?? 2
        let signer = Signer(
            credentials: Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1")
        guard let url = URL(string: "https://examplebucket.s3.amazonaws.com/backups/2026/11/25/db.tar.zst") else { return }
        let headers = [HTTPHeader("Content-Length", "1048576"), HTTPHeader("Content-Type", "application/octet-stream"),
                       HTTPHeader("x-amz-storage-class", "STANDARD_IA")]
        let payload = Payload.sha256("44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let date = Date()

        var checksum = 0
        // As the S3 client calls it: host, encoded path and query already split out.
        let signatures = measure(seconds: seconds) {
            for _ in 0..<1_000 {
                checksum &+= signer.signHeaders(method: "PUT", host: "examplebucket.s3.amazonaws.com",
                                                path: "/backups/2026/11/25/db.tar.zst", headers: headers,
                                                payload: payload, date: date).signature.utf8.count
            }
            return 1_000
        }
        print("header_signatures_per_second \(Int(signatures))")
        // From a Foundation URL, which adds taking the URL apart.
        let fromURL = try measure(seconds: seconds) {
            for _ in 0..<1_000 {
                checksum &+= try signer.signHeaders(method: "PUT", url: url, headers: headers, payload: payload, date: date).signature.utf8.count
            }
            return 1_000
        }
        print("header_signatures_per_second_from_url \(Int(fromURL))")

        let chunk = [UInt8](repeating: 0x5A, count: 64 * 1024)
        let streaming = try StreamingPayload(decodedContentLength: Int.max / 2, chunkSize: chunk.count)
        guard var chunks = try signer.signHeaders(method: "PUT", url: url, payload: .streaming(streaming), date: date).chunkSigner else { return }
        let perSecondChunks = chunk.withUnsafeBytes { bytes in
            measure(seconds: seconds) {
                for _ in 0..<64 { checksum &+= chunks.chunkHeader(for: bytes).count }
                return 64
            }
        }
        print("chunk_signing_mb_per_second \(megabytes(perSecondChunks * Double(chunk.count)))")
        let perSecondFramed = chunk.withUnsafeBytes { bytes in
            measure(seconds: seconds) {
                for _ in 0..<64 { checksum &+= chunks.signChunk(bytes).count }
                return 64
            }
        }
        print("chunk_framing_mb_per_second \(megabytes(perSecondFramed * Double(chunk.count)))")
        let perSecondHashes = chunk.withUnsafeBytes { bytes in
            measure(seconds: seconds) {
                for _ in 0..<64 { checksum &+= SHA256.hash(data: bytes).withUnsafeBytes { Int($0[0]) } }
                return 64
            }
        }
        print("raw_sha256_mb_per_second \(megabytes(perSecondHashes * Double(chunk.count)))")
        if checksum == 42 { print("") }  // keeps the optimizer from dropping the measured work
    }

    /// Runs `body` (which returns how many operations it did) in five rounds of `seconds / 5`
    /// after a short warm-up, and returns the best round's operations per second. Best-of-N,
    /// because the machine is shared: a round that another process interrupted says nothing
    /// about the code. `tools/bench` measures botocore the same way.
    private static func measure(seconds: Double, _ body: () throws -> Int) rethrows -> Double {
        let clock = ContinuousClock()
        let warmUpEnd = clock.now.advanced(by: .milliseconds(200))
        while clock.now < warmUpEnd { _ = try body() }
        var best = 0.0
        for _ in 0..<5 {
            var operations = 0
            let start = clock.now
            let end = start.advanced(by: .milliseconds(Int(seconds * 200)))
            while clock.now < end { operations += try body() }
            let elapsed = start.duration(to: clock.now)
            let rate = Double(operations) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            best = max(best, rate)
        }
        return best
    }

    private static func megabytes(_ bytesPerSecond: Double) -> String {
        String(format: "%.1f", bytesPerSecond / 1_000_000)
    }
}
