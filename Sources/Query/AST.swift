// The syntax tree the parser builds: a source, then stages, each holding expressions. Every
// node keeps the position of its first character so later phases can point at it.

/// A name as written, with where it was written.
package struct Name: Sendable, Equatable {
    package var text: String
    package var position: SourcePosition
}

/// A whole query: `source | stage | stage …`.
package struct Pipeline: Sendable, Equatable {
    package var source: Name
    package var stages: [Stage]
}

/// One stage after a `|`.
package struct Stage: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        case filter(Expression)
        /// `extend NAME = EXPR, …`: adds (or replaces) columns.
        case extend([Assignment])
        /// `project NAME [= EXPR], …`: keeps exactly these columns.
        case project([Assignment])
        /// `summarize [NAME =] AGG, … [by [NAME =] EXPR, …]`.
        case summarize(aggregates: [Assignment], by: [Assignment])
        case sort([SortKey])
        case take(Expression)
        /// `top N by KEY, …`: sort, then take.
        case top(Expression, [SortKey])
    }

    package var kind: Kind
    /// The position of the stage's keyword.
    package var position: SourcePosition
}

/// `NAME = EXPR`, where the name may be left out (`project` names it after a bare column).
package struct Assignment: Sendable, Equatable {
    package var name: Name?
    package var expression: Expression
}

/// One key of `sort by`/`top … by`.
package struct SortKey: Sendable, Equatable {
    package var expression: Expression
    package var descending: Bool
    /// Where nulls go; nil leaves SQL's default (first ascending, last descending).
    package var nullsFirst: Bool?
}

/// An expression node and where it starts.
package struct Expression: Sendable, Equatable {
    package indirect enum Kind: Sendable, Equatable {
        case column(String)
        /// `data.action.type`: a path into a JSON column.
        case field(Expression, [String])
        case string(String)
        case number(String)
        case duration(Int64)
        case timestamp(Int64)
        case bool(Bool)
        case null
        case not(Expression)
        case negate(Expression)
        case binary(BinaryOperator, Expression, Expression)
        case inList(Expression, [Expression])
        case between(Expression, Expression, Expression)
        case call(String, [Expression])
    }

    package var kind: Kind
    package var position: SourcePosition
    /// The depth of the tree under this node (1 for a leaf), which the parser bounds so that no
    /// later phase recurses too deep.
    package private(set) var height: Int

    package init(kind: Kind, position: SourcePosition) {
        self.kind = kind
        self.position = position
        let children: [Expression] =
            switch kind {
            case .field(let base, _): [base]
            case .not(let operand), .negate(let operand): [operand]
            case .binary(_, let left, let right): [left, right]
            case .inList(let value, let items): [value] + items
            case .between(let value, let low, let high): [value, low, high]
            case .call(_, let arguments): arguments
            case .column, .string, .number, .duration, .timestamp, .bool, .null: []
            }
        height = 1 + (children.map(\.height).max() ?? 0)
    }
}

/// The infix operators, by their spelling in queries.
package enum BinaryOperator: String, Sendable, Equatable {
    case and, or
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case contains, startswith
    case add = "+"
    case subtract = "-"
    case multiply = "*"
    case divide = "/"

    var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual: true
        default: false
        }
    }
}
