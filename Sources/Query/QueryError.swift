// The one error type of the query language: a place in the query text, what is wrong there, and
// what to write instead when there is a likely fix. Drawing the caret is ledgerctl's job; the
// position is ours.

import Foundation

/// A place in a query's text: 1-based line and column, counted in characters, and the
/// character offset from the start.
package struct SourcePosition: Sendable, Hashable, CustomStringConvertible {
    package var line: Int
    package var column: Int
    package var offset: Int

    package init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    package var description: String { "\(line):\(column)" }
}

/// A query that cannot be compiled: where, what, and a likely fix.
package struct QueryError: Error, Sendable, Equatable, LocalizedError, CustomStringConvertible {
    package var position: SourcePosition
    /// What is wrong, naming the word or types involved: `unknown column 'coast' in runs`.
    package var message: String
    /// A likely fix: `did you mean 'cost_usd'?`.
    package var suggestion: String?

    package init(position: SourcePosition, message: String, suggestion: String? = nil) {
        self.position = position
        self.message = message
        self.suggestion = suggestion
    }

    /// `1:14: unknown column 'coast' in runs; did you mean 'cost_usd'?`
    package var description: String { "\(position): \(sentence)" }

    /// The message and the suggestion, without the position.
    package var sentence: String { message + (suggestion.map { "; \($0)" } ?? "") }

    package var errorDescription: String? { description }
}

/// The candidate closest to `word` by edit distance, when it is close enough to be a likely
/// misspelling. A candidate's parts between underscores count too, so `coast` finds `cost_usd`.
func closest(to word: String, among candidates: [String]) -> String? {
    let word = word.lowercased()
    let scored = candidates.map { candidate -> (String, Int) in
        let parts = candidate.split(separator: "_").map(String.init)
        let whole = editDistance(word, candidate.lowercased())
        let part = parts.count > 1 ? (parts.map { editDistance(word, $0.lowercased()) }.min() ?? whole) + 1 : whole
        return (candidate, min(whole, part))
    }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(1, min(3, word.count / 2)) ? best.0 : nil
}

/// Levenshtein distance over characters.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    guard !a.isEmpty else { return b.count }
    var previous = Array(0...b.count)
    for (i, x) in a.enumerated() {
        var current = [i + 1]
        for (j, y) in b.enumerated() {
            current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
        }
        previous = current
    }
    return previous[b.count]
}

/// `did you mean 'x'?` for the closest candidate, if any.
func didYouMean(_ word: String, among candidates: [String]) -> String? {
    closest(to: word, among: candidates).map { "did you mean '\($0)'?" }
}
