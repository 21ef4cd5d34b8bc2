import Foundation

/// Elements sorted in bounded memory: up to `runLength` are sorted in memory; more are written as
/// sorted runs to unnamed spool files and merged as they are read (``RunMerge``, whose ties go to
/// the earlier run). Read once, by ``makeIterator()``. The sorters of deletions
/// (``DeletionSorter``) and of audit rows (``AuditRowSorter``) are this with their order and
/// record coding.
final class SpoolSorter<Element> {
    private let directory: String
    private let runLength: Int
    private let precedes: (Element, Element) -> Bool
    private let encode: (Element, inout SpoolWriter) -> Void
    private let decode: (inout SpoolReader) throws -> Element
    private let oversized: ((Element, Int) -> StrataError)?
    private var buffer: [Element] = []
    private var runs: [SpoolFile] = []
    /// Elements added.
    private(set) var count = 0

    /// A sorter into the order `precedes`, spilling to `directory` every `runLength` elements,
    /// each written by `encode` and read back by `decode`; `oversized` names an element whose
    /// record would exceed ``SpoolFile/maximumRecord``.
    init(directory: String, runLength: Int, by precedes: @escaping (Element, Element) -> Bool,
         encode: @escaping (Element, inout SpoolWriter) -> Void, decode: @escaping (inout SpoolReader) throws -> Element,
         oversized: ((Element, Int) -> StrataError)? = nil) {
        self.directory = directory
        self.runLength = max(1, runLength)
        self.precedes = precedes
        self.encode = encode
        self.decode = decode
        self.oversized = oversized
    }

    /// Adds one element.
    func add(_ element: Element) throws {
        buffer.append(element)
        count += 1
        if buffer.count >= runLength { try spill() }
    }

    private func spill() throws {
        buffer.sort(by: precedes)
        let run = try SpoolFile(directory: directory)
        for element in buffer {
            try run.append({ encode(element, &$0) }, oversized: oversized.map { named in { named(element, $0) } })
        }
        try run.flush()
        runs.append(run)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Ends adding; the elements are then read in order through ``makeIterator()``.
    func finish() throws {
        if runs.isEmpty { buffer.sort(by: precedes) } else if !buffer.isEmpty { try spill() }
    }

    /// Reads the elements in order (after ``finish()``), merging the runs as it goes.
    struct Iterator {
        private var memory: IndexingIterator<[Element]>?
        private var merge: RunMerge<Element>?

        fileprivate init(_ sorter: SpoolSorter) throws {
            guard !sorter.runs.isEmpty else {
                memory = sorter.buffer.makeIterator()
                return
            }
            let decode = sorter.decode
            merge = try RunMerge(sorter.runs.map { run in
                var cursor = SpoolFile.Cursor(file: run, bufferSize: 64 << 10)
                return { try cursor.next(decode) }
            }, by: sorter.precedes)
        }

        /// The next element, or `nil` after the last.
        mutating func next() throws -> Element? {
            if memory != nil { return memory!.next() }
            return try merge?.next()
        }
    }

    /// An iterator over the elements in order (after ``finish()``).
    func makeIterator() throws -> Iterator { try Iterator(self) }
}
