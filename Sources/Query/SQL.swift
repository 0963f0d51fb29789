// SQL under construction: text, the values its `?` bind in order, and the joins it needs.
// Interpolating one SQL into another keeps the values in textual order; plain strings are only
// ever catalog identifiers and the compiler's own keywords, never text a user typed. Each piece
// knows how deep it nests, so the compiler can refuse SQL the database's parser could not read.

import Ledger

/// A piece of generated SQL with its bound values and required joins.
struct SQL: Sendable, ExpressibleByStringInterpolation {
    private(set) var text = ""
    private(set) var arguments: [SQLValue] = []
    private(set) var joins: [String] = []
    /// How deep the database's parser must nest to read this: one level per parenthesis, and
    /// `subqueryDepth` for a subquery, which SQLite's parser spends about six stack entries on.
    private(set) var depth = 0
    /// Parentheses opened and not yet closed, while the text is being built.
    private var open = 0

    /// The depth a subquery adds besides its parentheses.
    static let subqueryDepth = 5

    init(stringLiteral value: String) { appendText(value) }

    init(stringInterpolation: Interpolation) { self = stringInterpolation.sql }

    /// A bound value: `?` in the text, the value in the arguments.
    init(binding value: SQLValue) {
        text = "?"
        arguments = [value]
    }

    /// Catalog SQL (a column or relation) with the joins it needs.
    init(catalog text: String, joins: [String] = []) {
        self.joins = joins
        appendText(text)
    }

    /// `(inner) AS alias`: a subquery read as a table.
    static func subquery(_ inner: SQL, alias: String) -> SQL {
        var sql: SQL = "(\(inner)) AS \(raw: alias)"
        sql.depth += subqueryDepth
        return sql
    }

    mutating func append(_ other: SQL) {
        text += other.text
        arguments += other.arguments
        for join in other.joins where !joins.contains(join) { joins.append(join) }
        depth = max(depth, open + other.depth)
        open += other.open
    }

    /// Text the compiler wrote itself (keywords, catalog SQL, aliases), its parentheses counted.
    private mutating func appendText(_ literal: String) {
        text += literal
        for byte in literal.utf8 {
            if byte == UInt8(ascii: "(") {
                open += 1
                depth = max(depth, open)
            } else if byte == UInt8(ascii: ")") {
                open -= 1
            }
        }
    }

    /// `parts` with `separator` between them.
    static func joined(_ parts: [SQL], separator: String) -> SQL {
        var result = SQL(stringLiteral: "")
        for (index, part) in parts.enumerated() {
            if index > 0 { result.appendText(separator) }
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

        mutating func appendLiteral(_ literal: String) { sql.appendText(literal) }

        mutating func appendInterpolation(_ other: SQL) { sql.append(other) }

        /// Text the compiler made itself: an alias or a number it counted.
        mutating func appendInterpolation(raw text: String) { sql.appendText(text) }
    }
}
