// Everything in the generated SQL that differs between database engines: parameters, booleans,
// JSON access and typing, division, integer flooring and rounding, case-insensitive text tests,
// percentiles, grouping and null ordering. The compiler asks a dialect for these. SQLite's
// values are dynamically typed; PostgreSQL's dialect makes the same queries give the same rows.

import Ledger

/// The engine-specific spellings the compiler needs.
protocol SQLDialect: Sendable {
    /// A bound parameter for `value`.
    func parameter(_ value: SQLValue) -> SQL
    /// A boolean literal.
    func boolean(_ flag: Bool) -> SQL
    /// The value at `path` (bound) in the JSON text `json`; null when the text is not JSON.
    func jsonField(_ json: SQL, path: String) -> SQL
    /// A JSON value (from `jsonField`) used where a `type` is expected.
    func json(_ value: SQL, as type: ValueType) -> SQL
    /// `a op b` for `+ - * / %`; a zero divisor gives null.
    func arithmetic(_ op: String, _ a: SQL, _ b: SQL) -> SQL
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
    /// One ORDER BY term; without `nullsFirst`, nulls sort as the smallest values.
    func orderTerm(_ x: SQL, descending: Bool, nullsFirst: Bool?) -> SQL
    /// The GROUP BY terms of a key output as `sql` that groups like the cheaper `identity`.
    func groupTerms(_ sql: SQL, identity: SQL?) -> [SQL]
}

/// The spellings both engines share.
extension SQLDialect {
    func arithmetic(_ op: String, _ a: SQL, _ b: SQL) -> SQL { "(\(a) \(raw: op) \(b))" }

    func floorMultiple(_ x: SQL, _ size: SQL) -> SQL { "(\(x) - ((\(x) % \(size)) + \(size)) % \(size))" }

    func lower(_ x: SQL) -> SQL { "lower(\(x))" }

    func length(_ x: SQL) -> SQL { "length(\(x))" }
}

/// SQLite 3.35 and later, with Ledger's `ledger_percentile` aggregate registered.
struct SQLiteDialect: SQLDialect {
    init() {}

    func parameter(_ value: SQLValue) -> SQL { SQL(binding: value) }

    func boolean(_ flag: Bool) -> SQL { parameter(.integer(flag ? 1 : 0)) }

    func jsonField(_ json: SQL, path: String) -> SQL {
        "CASE WHEN json_valid(\(json)) THEN json_extract(\(json), \(parameter(.text(path)))) END"
    }

    func json(_ value: SQL, as type: ValueType) -> SQL { value }

    func roundToInteger(_ x: SQL) -> SQL { "CAST(round(\(x)) AS INTEGER)" }

    func realDivision(_ a: SQL, _ b: SQL) -> SQL { "(CAST(\(a) AS REAL) / \(b))" }

    func textContains(_ a: SQL, _ b: SQL, startsWith: Bool) -> SQL {
        startsWith ? "(instr(lower(\(a)), lower(\(b))) = 1)" : "(instr(lower(\(a)), lower(\(b))) > 0)"
    }

    func percentile(_ x: SQL, _ p: SQL) -> SQL { "ledger_percentile(\(x), \(p))" }

    func orderTerm(_ x: SQL, descending: Bool, nullsFirst: Bool?) -> SQL {
        let nulls = nullsFirst.map { $0 ? " NULLS FIRST" : " NULLS LAST" } ?? ""
        return "\(x)\(raw: descending ? " DESC" : "")\(raw: nulls)"
    }

    /// SQLite outputs a column that is the same within each group without grouping by it.
    func groupTerms(_ sql: SQL, identity: SQL?) -> [SQL] { [identity ?? sql] }
}

/// PostgreSQL 13 and later, with the functions of schema/postgres/002_projections.sql. Its rows
/// equal SQLite's: nulls sort first ascending, division by zero gives null, avg rounds half away
/// from zero, and JSON fields are typed by where they are used.
struct PostgresDialect: SQLDialect {
    init() {}

    func parameter(_ value: SQLValue) -> SQL { SQL(binding: value) }

    func boolean(_ flag: Bool) -> SQL { flag ? "TRUE" : "FALSE" }

    /// A `jsonb` value (its path bound as text, `$.a.b`), null when the text is not JSON.
    func jsonField(_ json: SQL, path: String) -> SQL {
        "(ledger_json(\(json)) #> string_to_array(substr(\(parameter(.text(path))), 3), '.'))"
    }

    func json(_ value: SQL, as type: ValueType) -> SQL {
        switch type {
        case .json, .null: value
        case .string: "(\(value) #>> '{}')"
        case .bool: "(ledger_json_number(\(value)) = 1)"
        case .int, .real, .money, .duration, .timestamp, .date: "ledger_json_number(\(value))"
        }
    }

    func arithmetic(_ op: String, _ a: SQL, _ b: SQL) -> SQL {
        op == "/" || op == "%" ? "(\(a) \(raw: op) NULLIF(\(b), 0))" : "(\(a) \(raw: op) \(b))"
    }

    func roundToInteger(_ x: SQL) -> SQL { "CAST(round(CAST(\(x) AS numeric)) AS bigint)" }

    func realDivision(_ a: SQL, _ b: SQL) -> SQL { "(CAST(\(a) AS double precision) / NULLIF(\(b), 0))" }

    func textContains(_ a: SQL, _ b: SQL, startsWith: Bool) -> SQL {
        startsWith ? "(strpos(lower(\(a)), lower(\(b))) = 1)" : "(strpos(lower(\(a)), lower(\(b))) > 0)"
    }

    func percentile(_ x: SQL, _ p: SQL) -> SQL {
        "percentile_disc(CAST(\(p) AS double precision) / 100) WITHIN GROUP (ORDER BY \(x))"
    }

    func orderTerm(_ x: SQL, descending: Bool, nullsFirst: Bool?) -> SQL {
        let first = nullsFirst ?? !descending
        return "\(x)\(raw: descending ? " DESC" : "")\(raw: first ? " NULLS FIRST" : " NULLS LAST")"
    }

    /// PostgreSQL wants every output grouped (or functionally dependent on a grouped key).
    func groupTerms(_ sql: SQL, identity: SQL?) -> [SQL] { identity.map { [$0, sql] } ?? [sql] }
}
