// Everything in the generated SQL that differs between database engines: parameters, JSON
// access, integer flooring and rounding, case-insensitive text tests, percentiles and null
// ordering. The compiler asks a dialect for these; a PostgreSQL dialect is another conformer.

import Ledger

/// The engine-specific spellings the compiler needs.
protocol SQLDialect: Sendable {
    /// A bound parameter for `value`.
    func parameter(_ value: SQLValue) -> SQL
    /// The value at `path` (bound) in the JSON text `json`; null when the text is not JSON.
    func jsonField(_ json: SQL, path: String) -> SQL
    /// `x` rounded down (towards minus infinity) to a multiple of `size`, both integers.
    func floorMultiple(_ x: SQL, _ size: SQL) -> SQL
    /// A real rounded half away from zero to an integer.
    func roundToInteger(_ x: SQL) -> SQL
    /// `a / b` computed in floating point.
    func realDivision(_ a: SQL, _ b: SQL) -> SQL
    /// Case-insensitive: `a` contains `b` (`startsWith`: at its start).
    func textContains(_ a: SQL, _ b: SQL, startsWith: Bool) -> SQL
    func lower(_ x: SQL) -> SQL
    func length(_ x: SQL) -> SQL
    /// The nearest-rank percentile `p` (0…100) of `x`, one of its values.
    func percentile(_ x: SQL, _ p: SQL) -> SQL
    /// One ORDER BY term.
    func orderTerm(_ x: SQL, descending: Bool, nullsFirst: Bool?) -> SQL
}

/// SQLite 3.35 and later, with Ledger's `ledger_percentile` aggregate registered.
struct SQLiteDialect: SQLDialect {
    init() {}

    func parameter(_ value: SQLValue) -> SQL { SQL(binding: value) }

    func jsonField(_ json: SQL, path: String) -> SQL {
        "CASE WHEN json_valid(\(json)) THEN json_extract(\(json), \(parameter(.text(path)))) END"
    }

    func floorMultiple(_ x: SQL, _ size: SQL) -> SQL { "(\(x) - ((\(x) % \(size)) + \(size)) % \(size))" }

    func roundToInteger(_ x: SQL) -> SQL { "CAST(round(\(x)) AS INTEGER)" }

    func realDivision(_ a: SQL, _ b: SQL) -> SQL { "(CAST(\(a) AS REAL) / \(b))" }

    func textContains(_ a: SQL, _ b: SQL, startsWith: Bool) -> SQL {
        startsWith ? "(instr(lower(\(a)), lower(\(b))) = 1)" : "(instr(lower(\(a)), lower(\(b))) > 0)"
    }

    func lower(_ x: SQL) -> SQL { "lower(\(x))" }

    func length(_ x: SQL) -> SQL { "length(\(x))" }

    func percentile(_ x: SQL, _ p: SQL) -> SQL { "ledger_percentile(\(x), \(p))" }

    func orderTerm(_ x: SQL, descending: Bool, nullsFirst: Bool?) -> SQL {
        let nulls = nullsFirst.map { $0 ? " NULLS FIRST" : " NULLS LAST" } ?? ""
        return "\(x)\(raw: descending ? " DESC" : "")\(raw: nulls)"
    }
}
