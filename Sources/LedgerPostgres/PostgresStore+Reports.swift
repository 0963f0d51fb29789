// What reports read from the PostgreSQL store: the query language's SQL (compiled for
// PostgreSQL) with its values typed as SQLite would give them, a run's timeline, the price table,
// and rebuilding the projections.

import Foundation
import Ledger
import NIOCore
import PostgresNIO
import Synchronization

extension PostgresStore: ReportingStore {
    package var engine: SQLEngine { .postgresql }

    /// Runs the reading statement `sql`, its `?` bound to `arguments` in order. Values come back
    /// as SQLite gives them: integers (and numerics without decimals, such as sums), reals (and
    /// numerics with decimals, such as averages), text, 1/0 for booleans, and JSON values as their
    /// text, number or 1/0.
    ///
    /// A statement that reads `event_log` sees archived events too: they are decoded into the
    /// `archived_event_log` scratch table inside the statement's transaction, which is then rolled
    /// back, so each such query decodes every archive once.
    package func rows(sql: String, arguments: [SQLValue]) async throws -> QueryResult {
        let result = Mutex(QueryResult(columns: [], rows: []))
        try await eachRow(sql: sql, arguments: arguments) { row in
            let values = try row.map(SQLValue.init(cell:))
            result.withLock { result in
                if result.rows.isEmpty { result.columns = row.map(\.columnName) }
                result.rows.append(values)
            }
        }
        return result.withLock { $0 }
    }

    /// Runs `sql` like `rows(sql:arguments:)`, handing each row to `body` as postgres-nio's row
    /// sequence yields it, so about one row is held at a time.
    package func streamRows(
        sql: String, arguments: [SQLValue], into body: @escaping @Sendable ([SQLValue]) throws -> Void
    ) async throws {
        try await eachRow(sql: sql, arguments: arguments) { try body(try $0.map(SQLValue.init(cell:))) }
    }

    private func eachRow(
        sql: String, arguments: [SQLValue], _ body: @escaping @Sendable (PostgresRow) throws -> Void
    ) async throws {
        try await catchUpProjections()
        let query = Self.query(sql, arguments)
        let readsEvents = sql.contains("event_log")
        try await read("running a query") { connection in
            try await connection.query("BEGIN", logger: Self.logger)
            do {
                if readsEvents {
                    try await Self.decodeArchivedEvents(on: connection)
                } else {
                    try await connection.query("SET TRANSACTION READ ONLY", logger: Self.logger)
                }
                for try await row in try await connection.query(query, logger: Self.logger) { try body(row) }
                try await connection.query("ROLLBACK", logger: Self.logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: Self.logger)
                throw error
            }
        }
    }

    /// Fills `archived_event_log` with every archived event, in the caller's transaction.
    private static func decodeArchivedEvents(on connection: PostgresConnection) async throws {
        var archives = PostgresArchiveReader(connection)
        for record in try await archives.records(of: nil) {
            let contents = try await archives.contents(of: record)
            let rows = zip(contents.seqs, contents.events).map { seq, event in
                JSONValue.object([
                    ("seq", .number(String(seq))), ("run_key", .number(String(record.runKey))),
                    ("run_id", .string(record.runID)), ("event_id", .string(event.eventID)),
                    ("type", .string(event.type)), ("data", .string(event.data)),
                    ("received_at", .number(String(event.receivedAt))),
                ])
            }
            var bindings = PostgresBindings()
            bindings.append(JSONValue.array(rows).text)
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO archived_event_log
                        SELECT * FROM json_populate_recordset(NULL::archived_event_log, $1::json)
                        """, binds: bindings), logger: logger)
        }
    }

    /// PostgreSQL's plan for `sql` (EXPLAIN), as it prints it.
    package func queryPlan(sql: String, arguments: [SQLValue]) async throws -> [String] {
        let query = Self.query("EXPLAIN " + sql, arguments)
        return try await read("explaining a query") { connection in
            var lines: [String] = []
            for try await line in try await connection.query(query, logger: Self.logger).decode(String.self) {
                lines.append(line)
            }
            return lines
        }
    }

    package func timeline(of runID: String, last: Int? = nil) async throws -> [TimelineRow] {
        let rows = Mutex<[TimelineRow]>([])
        _ = try await streamTimeline(of: runID, last: last) { row in rows.withLock { $0.append(row) } }
        return rows.withLock { $0 }
    }

    /// The events of `runID` like `timeline(of:last:)`, handed to `body` one by one: an archived
    /// run's archived events first (decoded from its archive), then its live events as
    /// postgres-nio's row sequence yields them; returns how many.
    package func streamTimeline(
        of runID: String, last: Int?, into body: @escaping @Sendable (TimelineRow) throws -> Void
    ) async throws -> Int {
        try await catchUpProjections()
        return try await read("reading the timeline of run \(runID)") { connection in
            var gaps: [Int: Int64] = [:]
            var count = 0
            for try await (position, gap) in try await connection.query(
                """
                SELECT st.position, st.gap_us FROM streams s JOIN steps st ON st.run_key = s.run_key
                WHERE s.run_id = \(runID) AND st.gap_us IS NOT NULL
                """, logger: Self.logger
            ).decode((Int, Int64).self) {
                gaps[position] = gap
            }
            for try await total in try await connection.query(
                "SELECT event_count FROM streams WHERE run_id = \(runID)", logger: Self.logger
            ).decode(Int.self) {
                count = total
            }
            let skipped = TimelineRow.skipped(of: count, last: last)
            var shown = 0
            func show(_ position: Int, _ eventID: String, _ type: String, _ data: String, _ receivedAt: Int64) throws {
                guard position > skipped else { return }
                shown += 1
                try body(
                    TimelineRow(
                        position: position, eventID: eventID, type: type, data: data, receivedAt: receivedAt,
                        gapMicros: gaps[position]))
            }
            var archives = PostgresArchiveReader(connection)
            if let record = try await archives.record(ofRun: runID), record.eventCount > skipped {
                for (index, event) in try await archives.contents(of: record).events.enumerated() {
                    try show(index + 1, event.eventID, event.type, event.data, event.receivedAt)
                }
            }
            for try await (position, eventID, type, data, receivedAt) in try await connection.query(
                """
                SELECT e.position, e.event_id, e.type, e.data, e.received_at
                FROM events e JOIN streams s ON s.run_key = e.run_key
                WHERE s.run_id = \(runID) AND e.position > \(skipped) ORDER BY e.position
                """, logger: Self.logger
            ).decode((Int, String, ByteBuffer, ByteBuffer, Int64).self) {
                try show(position, eventID, String(buffer: type), String(buffer: data), receivedAt)
            }
            return shown
        }
    }

    package func prices() async throws -> [PriceRow] {
        try await read("reading prices") { try await Self.priceTable(on: $0).rows }
    }

    private static func priceTable(on connection: PostgresConnection) async throws -> PriceTable {
        var entries: [(from: Int64, micros: Int64)] = []
        for try await entry in try await connection.query(
            "SELECT effective_from, micros_per_step FROM prices ORDER BY effective_from", logger: logger
        ).decode((Int64, Int64).self) {
            entries.append(entry)
        }
        return PriceTable(entries: entries)
    }

    /// Makes `price` the price of a step from `from` until the next later price, re-pricing the
    /// stored steps in that span and their runs' costs in one transaction (see `LedgerStore.setPrice`).
    package func setPrice(_ price: Money, from: Int64) async throws -> PriceChange {
        try await catchUpProjections()
        return try await transaction("setting the price from \(UTCTime.format(from))") { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.priceLock))", logger: Self.logger)
            let table = try await Self.priceTable(on: connection)
            let until = table.end(after: from)
            try await connection.query(
                """
                INSERT INTO prices (effective_from, micros_per_step) VALUES (\(from), \(price.micros))
                ON CONFLICT (effective_from) DO UPDATE SET micros_per_step = excluded.micros_per_step
                """, logger: Self.logger)
            var change = PriceChange(previous: Money(micros: table.micros(at: from)), repricedSteps: 0, repricedRuns: 0)
            for try await (steps, runs) in try await connection.query(
                """
                WITH repriced AS (
                    SELECT run_key, count(*) AS steps, sum(\(price.micros) - price_micros) AS delta FROM steps
                    WHERE at >= \(from) AND at < \(until) GROUP BY run_key
                ), step_update AS (
                    UPDATE steps SET price_micros = \(price.micros) WHERE at >= \(from) AND at < \(until)
                ), run_update AS (
                    UPDATE runs r SET cost_micros = r.cost_micros + p.delta FROM repriced p WHERE r.run_key = p.run_key
                )
                SELECT coalesce(sum(steps), 0)::bigint, count(*) FROM repriced
                """, logger: Self.logger
            ).decode((Int64, Int64).self) {
                change.repricedSteps = Int(steps)
                change.repricedRuns = Int(runs)
            }
            return change
        }
    }

    /// Drops every projection row and recomputes them from the stored events in one transaction;
    /// appends wait for it, readers see the old rows until it commits. Prices are kept.
    package func rebuild(
        progressInterval: Int = 250_000, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> RebuildSummary {
        try await transaction("rebuilding projections") { connection in
            try await connection.query("LOCK TABLE streams IN EXCLUSIVE MODE", logger: Self.logger)
            try await connection.query("DELETE FROM runs", logger: Self.logger)
            try await connection.query("DELETE FROM steps", logger: Self.logger)
            try await connection.query("DELETE FROM transitions", logger: Self.logger)
            var keys: [Int64] = []
            var total = 0
            for try await (key, count) in try await connection.query(
                "SELECT run_key, event_count FROM streams ORDER BY run_key", logger: Self.logger
            ).decode((Int64, Int).self) {
                keys.append(key)
                total += count
            }
            var applied = 0
            var reported = 0
            for start in stride(from: 0, to: keys.count, by: Self.runsPerProjection) {
                let batch = Array(keys[start..<min(start + Self.runsPerProjection, keys.count)])
                applied += try await Self.project(runKeys: batch, on: connection)
                if applied / progressInterval > reported {
                    reported = applied / progressInterval
                    progress(applied, total)
                }
            }
            progress(applied, total)
            var summary = RebuildSummary(runs: 0, events: 0, steps: 0)
            for try await (runs, events, steps) in try await connection.query(
                """
                SELECT (SELECT count(*) FROM runs), (SELECT coalesce(sum(event_count), 0)::bigint FROM runs),
                    (SELECT count(*) FROM steps)
                """, logger: Self.logger
            ).decode((Int, Int, Int).self) {
                summary = RebuildSummary(runs: runs, events: events, steps: steps)
            }
            return summary
        }
    }

    /// `sql` with its `?` placeholders (bound to `arguments` in order) numbered as PostgreSQL wants
    /// them, equal values sharing one number: PostgreSQL matches a SELECT expression to its GROUP
    /// BY twin only when both read the same, and `$1` and `$2` never do. Generated SQL has no `?`
    /// of its own: values are always bound.
    static func query(_ sql: String, _ arguments: [SQLValue]) -> PostgresQuery {
        var numbered = ""
        var numbers: [SQLValue: Int] = [:]
        var values: [SQLValue] = []
        var next = arguments.makeIterator()
        for character in sql {
            guard character == "?", let value = next.next() else {
                numbered.append(character)
                continue
            }
            // A null has no type of its own: each gets its own number, typed by where it stands.
            if value != .null, let number = numbers[value] {
                numbered += "$\(number)"
            } else {
                values.append(value)
                numbers[value] = values.count
                numbered += "$\(values.count)"
            }
        }
        return PostgresQuery(unsafeSQL: numbered, binds: bindings(values))
    }

    private static func bindings(_ values: [SQLValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let number): bindings.append(number)
            case .real(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            }
        }
        return bindings
    }
}

extension SQLValue {
    /// A cell of a query row as the SQLite store would give it.
    init(cell: PostgresCell) throws {
        guard let bytes = cell.bytes else {
            self = .null
            return
        }
        switch cell.dataType {
        case .int2, .int4, .int8: self = .integer(try cell.decode(Int64.self))
        case .float4, .float8: self = .real(try cell.decode(Double.self))
        case .bool: self = .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .numeric:
            // Binary numeric: digit count, weight, sign, then the display scale (digits after the point).
            let scale = bytes.getInteger(at: bytes.readerIndex + 6, as: UInt16.self) ?? 0
            let text = "\(try cell.decode(Decimal.self))"
            self = scale > 0 ? .real(Double(text) ?? .nan) : SQLValue(number: text)
        case .bytea: self = .blob(Array(bytes.readableBytesView))
        case .jsonb:
            // Binary jsonb is a version byte, then the JSON text.
            self = SQLValue(json: String(decoding: bytes.readableBytesView.dropFirst(), as: UTF8.self))
        default: self = .text(String(buffer: bytes))
        }
    }

    /// A numeric's text as an integer when it is whole and fits, else a real.
    private init(number text: String) {
        if let integer = Int64(text) {
            self = .integer(integer)
        } else {
            self = .real(Double(text) ?? .nan)
        }
    }

    /// A JSON value as SQLite's json_extract returns it: strings as text, numbers as numbers,
    /// true and false as 1 and 0, objects and arrays as their JSON text.
    private init(json text: String) {
        switch text.first {
        case "\"":
            let decoded = try? JSONDecoder().decode(String.self, from: Data(text.utf8))
            self = .text(decoded ?? text)
        case "t": self = .integer(1)
        case "f": self = .integer(0)
        case "n": self = .null
        case "{", "[": self = .text(text)
        default: self = SQLValue(number: text)
        }
    }
}
