import Foundation
import Testing
@testable import StrataKit

/// The hand-over between the report reader's two threads: every batch arrives, in order, on one
/// core or two; a failure on either side stops both and is the one reported; batches come back
/// to the producer emptied, with their capacity.
@Suite struct TwoStagePassTests {
    struct Failure: Error, Equatable { var side: String }

    /// Sends `batches` batches of `size` numbers each, counting up, and returns what the consumer saw.
    static func run(_ pass: TwoStagePass<[Int]>, batches: Int, size: Int,
                    failProducerAt: Int? = nil, failConsumerAt: Int? = nil) async throws -> [Int] {
        let seen = Unchecked<[Int]>([])
        var next = 0
        try await pass.consumeOnThread({ send in
            var batch: [Int] = []
            for index in 0..<batches {
                if index == failProducerAt { throw Failure(side: "producer") }
                // A batch given back is empty.
                #expect(batch.isEmpty)
                for _ in 0..<size {
                    batch.append(next)
                    next += 1
                }
                try send(&batch)
            }
        }, consume: { batch in
            if let failConsumerAt, seen.value.count >= failConsumerAt * size { throw Failure(side: "consumer") }
            seen.value += batch
        })
        return seen.value
    }

    @Test("every batch arrives, in order", arguments: [true, false], [1, 2, 4])
    func order(threaded: Bool, depth: Int) async throws {
        let pass = TwoStagePass<[Int]>(depth: depth, threaded: threaded)
        let seen = try await Self.run(pass, batches: 500, size: 37)
        #expect(seen == Array(0..<(500 * 37)))
    }

    @Test("a producer that fails stops the pass with its error", arguments: [true, false])
    func producerFails(threaded: Bool) async throws {
        let pass = TwoStagePass<[Int]>(depth: 2, threaded: threaded)
        await #expect(throws: Failure(side: "producer")) { try await Self.run(pass, batches: 100, size: 3, failProducerAt: 40) }
    }

    @Test("a consumer that fails stops the producer, and its error is the one reported", arguments: [true, false])
    func consumerFails(threaded: Bool) async throws {
        let pass = TwoStagePass<[Int]>(depth: 2, threaded: threaded)
        await #expect(throws: Failure(side: "consumer")) { try await Self.run(pass, batches: 10_000, size: 3, failConsumerAt: 5) }
    }

    @Test("a pass with no batches ends")
    func empty() async throws {
        #expect(try await Self.run(TwoStagePass<[Int]>(), batches: 0, size: 1).isEmpty)
    }
}
