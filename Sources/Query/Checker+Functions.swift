// Typing function calls: the scalar functions (now, ago, bin, day, lower, len, coalesce) and
// the aggregates summarize allows (count, countif, dcount, sum, avg, min, max, percentile and
// its p50/p90/p95/p99 shorthands). now() is fixed when the query is checked.

import Ledger

extension Checker {
    static let scalarNames = ["now", "ago", "bin", "day", "lower", "len", "coalesce"]
    static let aggregateNames = [
        "count", "countif", "dcount", "sum", "avg", "min", "max", "percentile", "p50", "p90", "p95", "p99",
    ]
    static let functionNames = scalarNames + aggregateNames

    func call(
        _ name: String, _ arguments: [Expression], at position: SourcePosition, _ context: Context
    ) throws(QueryError) -> Typed {
        func typed(_ type: ValueType, _ node: Typed.Node) -> Typed { Typed(type: type, node: node, position: position) }
        func arity(_ count: Int, _ usage: String) throws(QueryError) {
            guard arguments.count != count else { return }
            throw QueryError(
                position: position,
                message: "\(name) takes \(count) argument\(count == 1 ? "" : "s"), got \(arguments.count)",
                suggestion: "write \(usage)")
        }
        if Self.aggregateNames.contains(name) {
            return try aggregate(name, arguments, at: position, context, arity: arity)
        }
        switch name {
        case "now":
            try arity(0, "now()")
            return typed(.timestamp, .value(.integer(now)))
        case "ago":
            try arity(1, "ago(7d)")
            let span = try check(arguments[0], context)
            guard span.type == .duration else {
                throw QueryError(
                    position: span.position, message: "ago needs a duration, got \(span.type)",
                    suggestion: "write ago(7d)")
            }
            if case .value(.integer(let micros)) = span.node {
                return typed(.timestamp, .value(.integer(now &- micros)))
            }
            let start = typed(.timestamp, .value(.integer(now)))
            return typed(.timestamp, .arithmetic(Arithmetic(op: .subtract), start, span))
        case "bin":
            try arity(2, "bin(started_at, 1d)")
            return try bin(arguments, at: position, context)
        case "day":
            try arity(1, "day(started_at)")
            let time = try check(arguments[0], context)
            guard time.type.isTime || time.type == .null else { throw mismatch(name, time, "a timestamp") }
            let day = typed(.duration, .value(.integer(86_400_000_000)))
            return typed(.date, .function(.floorMultiple, [time, day]))
        case "lower", "len":
            try arity(1, "\(name)(message)")
            let text = try check(arguments[0], context)
            guard [.string, .json, .null].contains(text.type) else { throw mismatch(name, text, "text") }
            return name == "lower" ? typed(.string, .function(.lower, [text])) : typed(.int, .function(.len, [text]))
        case "coalesce":
            guard !arguments.isEmpty else {
                throw QueryError(
                    position: position, message: "coalesce needs at least one argument",
                    suggestion: "write coalesce(machine_id, \"unknown\")")
            }
            return try coalesce(arguments, at: position, context)
        default:
            throw QueryError(
                position: position, message: "unknown function '\(name)'",
                suggestion: didYouMean(name, among: Self.functionNames)
                    ?? "functions are \(Self.functionNames.joined(separator: ", "))")
        }
    }

    private func mismatch(_ function: String, _ value: Typed, _ expected: String) -> QueryError {
        QueryError(position: value.position, message: "\(function) needs \(expected), got \(value.type)")
    }

    /// `bin(x, size)`: x rounded down to a multiple of the literal `size` (a duration for times
    /// and durations, dollars for money, a whole number for integers).
    private func bin(_ arguments: [Expression], at position: SourcePosition, _ context: Context) throws(QueryError)
        -> Typed
    {
        let value = try check(arguments[0], context)
        let target: ValueType
        switch value.type {
        case .timestamp, .date: target = .duration
        case .int, .money, .duration: target = value.type
        default: throw mismatch("bin", value, "a timestamp, duration, money or whole number")
        }
        let size = try literal(arguments[1], as: target)
        guard size.isLiteral, case .value(.integer(let step)) = size.node, size.type == target || size.type == .int
        else {
            throw QueryError(
                position: arguments[1].position,
                message: "bin's size must be a literal \(target == .int ? "whole number" : "\(target)")",
                suggestion: value.type.isTime ? "write bin(\(Checker.defaultName(of: arguments[0]) ?? "at"), 1d)" : nil)
        }
        guard step > 0 else {
            throw QueryError(position: arguments[1].position, message: "bin's size must be more than zero")
        }
        let sizeValue = Typed(type: target, node: .value(.integer(step)), position: size.position)
        return Typed(
            type: value.type == .date ? .timestamp : value.type, node: .function(.floorMultiple, [value, sizeValue]),
            position: position)
    }

    /// `coalesce(a, b, …)`: the first non-null; all of one type (a number literal takes the
    /// money or duration unit of the others).
    private func coalesce(_ arguments: [Expression], at position: SourcePosition, _ context: Context) throws(QueryError)
        -> Typed
    {
        var values: [Typed] = []
        for argument in arguments { values.append(try check(argument, context)) }
        let type =
            values.first { $0.type != .null && !($0.isLiteral && $0.type.isNumber) }?.type
            ?? values.first { $0.type != .null }?.type ?? .null
        var converted: [Typed] = []
        for argument in arguments {
            let final = try operand(argument, beside: type, context)
            let first = Typed(type: type, node: .value(.null), position: position)
            try requireComparable(first, final, "coalesce")
            converted.append(final)
        }
        return Typed(type: type, node: .function(.coalesce, converted), position: position)
    }

    /// An aggregate call, allowed only as (part of) a summarize output.
    private func aggregate(
        _ name: String, _ arguments: [Expression], at position: SourcePosition, _ context: Context,
        arity: (Int, String) throws(QueryError) -> Void
    ) throws(QueryError) -> Typed {
        switch context {
        case .row:
            throw QueryError(
                position: position, message: "\(name)() is an aggregate",
                suggestion: "use it in summarize, e.g. summarize \(name)(…) by …")
        case .insideAggregate:
            throw QueryError(position: position, message: "aggregates cannot nest: \(name)() inside another aggregate")
        case .aggregate:
            break
        }
        func typed(_ type: ValueType, _ function: AggregateFunction, _ values: [Typed]) -> Typed {
            Typed(type: type, node: .aggregate(function, values), position: position)
        }
        func argument(_ index: Int) throws(QueryError) -> Typed { try check(arguments[index], .insideAggregate) }
        switch name {
        case "count":
            try arity(0, "count(), or countif(condition) to count some rows")
            return typed(.int, .count, [])
        case "countif":
            try arity(1, "countif(state == \"failed\")")
            let condition = try argument(0)
            try requireBool(condition, "countif")
            return typed(.int, .countif, [condition])
        case "dcount":
            try arity(1, "dcount(machine_id)")
            return typed(.int, .dcount, [try argument(0)])
        case "sum", "avg", "min", "max":
            try arity(1, "\(name)(cost_usd)")
            let value = try argument(0)
            let allowed: [ValueType] =
                switch name {
                case "sum": [.int, .real, .money, .duration, .json, .null]
                case "avg": [.int, .real, .money, .duration, .timestamp, .date, .json, .null]
                default: ValueType.allCases
                }
            guard allowed.contains(value.type) else {
                throw mismatch(name, value, "numbers, money or durations")
            }
            let type: ValueType =
                switch value.type {
                case .json: .real
                case .int where name == "avg": .real
                case .date where name == "avg": .timestamp
                default: value.type
                }
            return typed(type, AggregateFunction(rawValue: name) ?? .sum, [value])
        default:
            let shorthand = name != "percentile"
            try arity(shorthand ? 1 : 2, shorthand ? "\(name)(duration_s)" : "percentile(duration_s, 95)")
            let value = try argument(0)
            guard [.int, .real, .money, .duration, .timestamp, .date, .json, .null].contains(value.type) else {
                throw mismatch(name, value, "numbers, money, durations or times")
            }
            let percent: Double
            if shorthand {
                percent = Double(name.dropFirst()) ?? 50
            } else {
                guard case .number(let text) = arguments[1].kind, let p = Double(text), (0...100).contains(p) else {
                    throw QueryError(
                        position: arguments[1].position, message: "percentile needs a literal percent from 0 to 100",
                        suggestion: "write percentile(duration_s, 95)")
                }
                percent = p
            }
            let p = Typed(type: .real, node: .value(.real(percent)), position: position)
            return typed(value.type == .json ? .real : value.type, .percentile, [value, p])
        }
    }
}
