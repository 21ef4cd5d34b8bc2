/// What the transitions of one sweep (or one chunk of them) came to. Only objects that were
/// copied to their target class count as moved: one already there (a re-run after a crash) or
/// gone since the plan was made is counted apart, so "applied: N transitions" is what moved.
struct TransitionTally: Sendable, Equatable {
    /// Objects copied to their target class.
    var moved = 0
    /// Objects found in their target class already.
    var alreadyThere = 0
    /// Objects no longer in the bucket.
    var gone = 0
    /// One line per failed transition.
    var failures: [String] = []
    /// How many of the failures were AccessDenied.
    var denied = 0

    /// What happened to one object.
    enum Outcome: Sendable, Equatable {
        case moved, alreadyThere, gone
        case failed(String, denied: Bool)
    }

    /// The tally of `outcomes`.
    init(_ outcomes: [Outcome]) {
        for outcome in outcomes {
            switch outcome {
            case .moved: moved += 1
            case .alreadyThere: alreadyThere += 1
            case .gone: gone += 1
            case .failed(let line, let denied):
                failures.append(line)
                if denied { self.denied += 1 }
            }
        }
    }

    /// Adds this tally's counts to a journal entry's.
    func add(to done: inout SweepJournal.Counts) {
        done.transitions += moved
        done.transitionsAlreadyThere += alreadyThere
        done.transitionsGone += gone
    }
}
