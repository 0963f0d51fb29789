// SQL under construction: text, the values its `?` bind in order, and the joins it needs.
// Interpolating one SQL into another keeps the values in textual order; plain strings are only
// ever catalog identifiers and the compiler's own keywords, never text a user typed.

import Ledger

/// A piece of generated SQL with its bound values and required joins.
struct SQL: Sendable, ExpressibleByStringInterpolation {
    private(set) var text = ""
    private(set) var arguments: [SQLValue] = []
    private(set) var joins: [String] = []

    init(stringLiteral value: String) { text = value }

    init(stringInterpolation: Interpolation) { self = stringInterpolation.sql }

    /// A bound value: `?` in the text, the value in the arguments.
    init(binding value: SQLValue) {
        text = "?"
        arguments = [value]
    }

    /// Catalog SQL (a column or relation) with the joins it needs.
    init(catalog text: String, joins: [String] = []) {
        self.text = text
        self.joins = joins
    }

    mutating func append(_ other: SQL) {
        text += other.text
        arguments += other.arguments
        for join in other.joins where !joins.contains(join) { joins.append(join) }
    }

    /// `parts` with `separator` between them.
    static func joined(_ parts: [SQL], separator: String) -> SQL {
        var result = SQL(stringLiteral: "")
        for (index, part) in parts.enumerated() {
            if index > 0 { result.text += separator }
            result.append(part)
        }
        return result
    }

    /// The same SQL needing no joins (once they are written into a FROM clause).
    var withoutJoins: SQL {
        var copy = self
        copy.joins = []
        return copy
    }

    struct Interpolation: StringInterpolationProtocol {
        var sql = SQL(stringLiteral: "")

        init(literalCapacity: Int, interpolationCount: Int) {}

        mutating func appendLiteral(_ literal: String) { sql.text += literal }

        mutating func appendInterpolation(_ other: SQL) { sql.append(other) }

        /// Text the compiler made itself: an alias or a number it counted.
        mutating func appendInterpolation(raw text: String) { sql.text += text }
    }
}
