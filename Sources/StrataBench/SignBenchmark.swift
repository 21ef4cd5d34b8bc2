import Crypto
import Foundation
import SigV4

/// Header-signing and chunk-signing throughput (issue: SigV4). `tools/bench sign` runs it next to
/// botocore and openssl on the same machine.
///
/// Prints `key value` lines (parsed by `tools/bench`), each the best of five rounds, per second of
/// the measuring thread's CPU time:
/// - `header_signatures_per_second`: a typical S3 PUT, key cached, signed from host, path and
///   query as the S3 client does; `header_signatures_per_second_from_url`: the same from a `URL`;
/// - `chunk_signing_mb_per_second` / `chunk_framing_mb_per_second`: 64 KiB aws-chunked chunks,
///   header line only (zero copy) and fully framed (one copy);
/// - `raw_sha256_mb_per_second`: swift-crypto SHA-256 over the same bytes (measured in rounds
///   interleaved with the two chunk figures).
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
        // The three chunk figures are measured in interleaved rounds, so that a busy spell of
        // the (shared) machine hits the chunk signing and the raw SHA-256 it is compared with alike.
        let rates = chunk.withUnsafeBytes { bytes in
            measure(seconds: seconds, interleaving: [
                {
                    for _ in 0..<64 { checksum &+= chunks.chunkHeader(for: bytes).count }
                    return 64
                },
                {
                    for _ in 0..<64 { checksum &+= chunks.signChunk(bytes).count }
                    return 64
                },
                {
                    for _ in 0..<64 { checksum &+= SHA256.hash(data: bytes).withUnsafeBytes { Int($0[0]) } }
                    return 64
                },
            ])
        }
        print("chunk_signing_mb_per_second \(megabytes(rates[0] * Double(chunk.count)))")
        print("chunk_framing_mb_per_second \(megabytes(rates[1] * Double(chunk.count)))")
        print("raw_sha256_mb_per_second \(megabytes(rates[2] * Double(chunk.count)))")
        if checksum == 42 { print("") }  // keeps the optimizer from dropping the measured work
    }

    /// Runs `body` (which returns how many operations it did) in five rounds of `seconds / 5`
    /// after a short warm-up, and returns the best round's operations per CPU-second of this
    /// thread. CPU time, because the machine is shared: a round in which the thread waited for a
    /// core says nothing about the code (`openssl speed` divides by CPU time too); and best-of-N,
    /// because a round disturbed by another process (caches, a sibling hyperthread) says little
    /// either. `tools/bench` measures botocore the same way.
    private static func measure(seconds: Double, _ body: () throws -> Int) rethrows -> Double {
        try warmUp(body)
        var best = 0.0
        for _ in 0..<5 { best = max(best, try round(seconds: seconds / 5, body)) }
        return best
    }

    /// ``measure(seconds:_:)`` for several bodies at once, their rounds interleaved (round 1 of
    /// each, then round 2 of each...); returns the best rate of each, in order.
    private static func measure(seconds: Double, interleaving bodies: [() -> Int]) -> [Double] {
        for body in bodies { warmUp(body) }
        var best = [Double](repeating: 0, count: bodies.count)
        for _ in 0..<5 {
            for (index, body) in bodies.enumerated() { best[index] = max(best[index], round(seconds: seconds / 5, body)) }
        }
        return best
    }

    private static func warmUp(_ body: () throws -> Int) rethrows {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: .milliseconds(200))
        while clock.now < end { _ = try body() }
    }

    /// Runs `body` repeatedly for `seconds` of wall-clock time and returns its operations per
    /// second of CPU time this thread spent in the round.
    private static func round(seconds: Double, _ body: () throws -> Int) rethrows -> Double {
        let clock = ContinuousClock()
        var operations = 0
        let end = clock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
        let start = threadCPUSeconds()
        while clock.now < end { operations += try body() }
        let cpu = threadCPUSeconds() - start
        return cpu > 0 ? Double(operations) / cpu : 0
    }

    /// CPU time used by the calling thread, in seconds.
    private static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private static func megabytes(_ bytesPerSecond: Double) -> String {
        String(format: "%.1f", bytesPerSecond / 1_000_000)
    }
}
