// What the checker hands the compiler: every name resolved, every expression typed, every
// literal converted to the value it binds (dollars to micro-dollars, durations and times to
// microseconds). The compiler only chooses SQL for it.

import Ledger

/// A column of a query's result: its name and type, which says how to print it.
package struct QueryColumn: Sendable, Equatable {
    package var name: String
    package var type: ValueType

    package init(name: String, type: ValueType) {
        self.name = name
        self.type = type
    }
}

/// A checked query: the source and its stages, each with the position of the stage it came from.
struct CheckedQuery: Sendable {
    var source: Source
    var stages: [(stage: CheckedStage, position: SourcePosition)]
    var columns: [QueryColumn]
}

/// A named output of extend, project or summarize.
struct Binding: Sendable {
    var name: String
    var value: Typed
}

/// A checked stage; column references in it name columns of the stage's input.
enum CheckedStage: Sendable {
    case filter(Typed)
    case extend([Binding])
    case project([Binding])
    case summarize(keys: [Binding], aggregates: [Binding])
    case sort([CheckedSortKey])
    case take(Int64)
}

struct CheckedSortKey: Sendable {
    var value: Typed
    var descending: Bool
    var nullsFirst: Bool?
}

/// A typed expression.
struct Typed: Sendable {
    var type: ValueType
    var node: Node
    var position: SourcePosition

    indirect enum Node: Sendable {
        /// A column of the input, by name.
        case column(String)
        /// A literal, bound as a parameter.
        case value(SQLValue)
        /// A field of a JSON column, by its JSON path (`$.action.type`).
        case jsonField(Typed, path: String)
        case not(Typed)
        case negate(Typed)
        case logical(BinaryOperator, Typed, Typed)
        case compare(BinaryOperator, Typed, Typed)
        /// `x == null` / `x != null`.
        case isNull(Typed, negated: Bool)
        /// `contains` or `startswith`, case-insensitive.
        case text(BinaryOperator, Typed, Typed)
        case inList(Typed, [Typed])
        case between(Typed, Typed, Typed)
        case arithmetic(Arithmetic, Typed, Typed)
        case function(ScalarFunction, [Typed])
        case aggregate(AggregateFunction, [Typed])
    }

    /// Whether this is a bound literal, which other operands convert to their own type.
    var isLiteral: Bool {
        if case .value = node { return true }
        return false
    }
}

/// An arithmetic operation with what it needs beyond `+ - * /` on integers: real division
/// (for a ratio of money or durations) and rounding back to integers (money times a real).
struct Arithmetic: Sendable {
    var op: BinaryOperator
    var realDivision = false
    var roundToInteger = false
}

enum ScalarFunction: String, Sendable {
    case lower, len, coalesce
    /// `x - x mod size`, flooring towards minus infinity: bin() and day().
    case floorMultiple
}

enum AggregateFunction: String, Sendable {
    case count, countif, dcount, sum, avg, min, max, percentile
}
