import Foundation

/// A pass over millions of records split into two stages on two cores: the producer runs on the
/// caller's task, the consumer on a thread of its own, and batches go from the first to the
/// second, in order, through a queue of at most `depth` batches.
///
/// The consumer is a synchronous loop over bytes (spooling, tallying), so a thread of its own
/// suits it better than a task: a task that waited for batches would hold one of the cooperative
/// pool's few threads anyway. The order of the batches is kept, so a pass split in two computes
/// exactly what it computes in one.
///
/// Batches are buffers that go back to the producer once consumed (``send``'s `inout`): each
/// thread allocates and frees its own records, and no buffer is freed on the other thread, which
/// keeps the allocator from holding memory for both (measured: handing over decoded objects
/// instead raised peak RSS from 170 to 350-690 MiB).
///
/// Each stage's state is touched by its own thread only, and the queue's lock orders the hand-over
/// of each batch; the pass returns only after the thread has ended. On a machine with one core
/// the stages simply run one after the other, batch by batch, on the caller's thread.
struct TwoStagePass<Batch: RangeReplaceableCollection>: Sendable {
    /// How many batches may wait between the stages.
    var depth = 4
    /// Whether to use a second thread (more than one core is available).
    var threaded = ProcessInfo.processInfo.activeProcessorCount > 1

    /// Runs `consume` on a thread of its own while `produce`, on the caller's task, sends it
    /// batches. An error in either stage stops both and is rethrown (the consumer's, if both fail:
    /// the producer then sees only that the consumer stopped).
    /// `send` hands a batch over and gives back an empty one (a consumed batch, its capacity kept).
    func consumeOnThread(_ produce: (_ send: (inout Batch) throws -> Void) async throws -> Void,
                         consume: @escaping (Batch) throws -> Void) async throws {
        // `consume` escapes (to the thread) rather than going through withoutActuallyEscaping:
        // that check traps when an async frame or the thread still holds the closure a moment
        // after the pass, which measured as a crash in a few runs in ten.
        guard threaded else {
            return try await produce { batch in
                try consume(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        let queue = Queue(depth: depth)
        let failure = Unchecked<Error?>(nil)
        let thread = StageThread(Unchecked {
            do {
                while var batch = try queue.take() {
                    try consume(batch)
                    queue.recycle(&batch)
                }
            } catch {
                failure.value = error
                queue.cancel()
            }
        })
        do {
            try await produce { try queue.put(&$0) }
            queue.close(error: nil)
        } catch {
            queue.close(error: error)
            thread.join()
            throw failure.value ?? error
        }
        thread.join()
        if let error = failure.value { throw error }
    }
}

extension TwoStagePass {
    /// The bounded queue between the stages.
    final class Queue: @unchecked Sendable {
        private let condition = NSCondition()
        private let depth: Int
        private var batches: [Batch] = []
        private var head = 0
        /// Consumed batches, emptied, for the producer to fill again.
        private var spares: [Batch] = []
        private var closed = false
        private var cancelled = false
        private var error: Error?

        init(depth: Int) { self.depth = max(1, depth) }

        /// Hands `batch` over and replaces it with a spare, or an empty batch. Waits while `depth`
        /// batches wait; throws ``Cancelled`` once the taker has stopped.
        func put(_ batch: inout Batch) throws {
            condition.lock()
            defer { condition.unlock() }
            while batches.count - head >= depth && !cancelled { condition.wait() }
            guard !cancelled else { throw Cancelled() }
            if head > 0 && head == batches.count {
                batches.removeAll(keepingCapacity: true)
                head = 0
            }
            batches.append(batch)
            batch = spares.popLast() ?? Batch()
            condition.broadcast()
        }

        /// Keeps a consumed batch, emptied, for ``put(_:)`` to give back.
        func recycle(_ batch: inout Batch) {
            // Emptied while this thread holds the only reference, so the capacity stays in place.
            batch.removeAll(keepingCapacity: true)
            condition.lock()
            defer { condition.unlock() }
            if spares.count < depth { spares.append(batch) }
            batch = Batch()
        }

        /// The next batch; `nil` once the putter has closed the queue and it is empty. Rethrows
        /// the putter's error.
        func take() throws -> Batch? {
            condition.lock()
            defer { condition.unlock() }
            while head == batches.count && !closed && !cancelled { condition.wait() }
            if cancelled { throw Cancelled() }
            if head == batches.count {
                if let error { throw error }
                return nil
            }
            let batch = batches[head]
            batches[head] = Batch()  // the taker holds the only reference: emptied in place on recycling
            head += 1
            condition.broadcast()
            return batch
        }

        /// No more batches: the taker gets `error` after the last, or `nil`.
        func close(error: Error?) {
            condition.lock()
            defer { condition.unlock() }
            closed = true
            self.error = error
            condition.broadcast()
        }

        /// The taker stopped: a waiting or later `put` throws.
        func cancel() {
            condition.lock()
            defer { condition.unlock() }
            cancelled = true
            batches.removeAll()
            head = 0
            condition.broadcast()
        }
    }

    /// What `put` throws once the other stage has stopped.
    struct Cancelled: Error {}
}

/// A value handed to the stage thread as `Sendable`: ``TwoStagePass`` guarantees that one
/// thread at a time uses it.
final class Unchecked<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// A thread that runs one closure and can be waited for.
final class StageThread: @unchecked Sendable {
    private let done = NSCondition()
    private var finished = false
    private let body: Unchecked<() -> Void>

    /// Starts `body` on a new thread; ``join()`` waits for it and drops it.
    init(_ body: Unchecked<() -> Void>) {
        self.body = body
        let thread = Thread { [self] in
            self.body.value()
            done.lock()
            finished = true
            done.broadcast()
            done.unlock()
        }
        thread.start()
    }

    /// Waits until the closure has returned, then lets go of it.
    func join() {
        done.lock()
        while !finished { done.wait() }
        done.unlock()
        // The thread may not have ended yet, and it holds this object: the closure, and what
        // it captured, go now.
        body.value = {}
    }
}
