// `ledger_archived_data(run_key, event_id)`: the data text of an archived event, which the
// `event_log` view reads for archived rows. Registered on every connection; each keeps its last
// few decoded archives, so a scan (archived keys are clustered by run) decodes each archive once.

import GRDB
import GRDBSQLite

/// The SQL function behind `event_log.data` for archived events, with its per-connection cache.
final class ArchivedDataFunction {
    /// Decoded archives kept per connection.
    static let capacity = 16

    private struct DecodedRun {
        var events: [RawEvent]
        var positions: [String: Int]
    }

    private var reader: ArchiveReader
    private var runs: [Int64: DecodedRun] = [:]
    /// Run keys in `runs`, least recently used first.
    private var recent: [Int64] = []

    private init(_ connection: OpaquePointer) {
        reader = ArchiveReader(connection)
    }

    /// Registers the function on `db`'s connection.
    static func register(on db: Database) throws {
        guard let connection = db.sqliteConnection else { return }
        let function = Unmanaged.passRetained(ArchivedDataFunction(connection)).toOpaque()
        let code = sqlite3_create_function_v2(
            connection, "ledger_archived_data", 2, SQLITE_UTF8 | SQLITE_INNOCUOUS, function,
            { context, _, arguments in
                guard let context, let arguments, let user = sqlite3_user_data(context) else { return }
                Unmanaged<ArchivedDataFunction>.fromOpaque(user).takeUnretainedValue()
                    .answer(context, runKey: sqlite3_value_int64(arguments[0]), eventID: arguments[1])
            }, nil, nil,
            { user in
                if let user { Unmanaged<ArchivedDataFunction>.fromOpaque(user).release() }
            })
        guard code == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot register ledger_archived_data")
        }
    }

    private func answer(_ context: OpaquePointer, runKey: Int64, eventID value: OpaquePointer?) {
        let eventID = sqlite3_value_text(value).map {
            String(decoding: UnsafeBufferPointer(start: $0, count: Int(sqlite3_value_bytes(value))), as: UTF8.self)
        }
        do {
            let run = try decoded(runKey)
            guard let eventID, let position = run.positions[eventID] else {
                sqlite3_result_null(context)
                return
            }
            var data = run.events[position].data
            data.withUTF8 { bytes in
                sqlite3_result_text(context, bytes.baseAddress, Int32(bytes.count), StatementBinding.transient)
            }
        } catch {
            sqlite3_result_error(context, error.description, -1)
        }
    }

    private func decoded(_ runKey: Int64) throws(LedgerError) -> DecodedRun {
        if let run = runs[runKey] {
            if recent.last != runKey {
                recent.removeAll { $0 == runKey }
                recent.append(runKey)
            }
            return run
        }
        guard let record = try reader.record(of: runKey) else {
            throw LedgerError.corruptArchive(
                runID: "run_key \(runKey)", reason: "it has archived events but no archive")
        }
        let events = try reader.events(of: record)
        let run = DecodedRun(
            events: events,
            positions: Dictionary(events.enumerated().map { ($1.eventID, $0) }, uniquingKeysWith: { first, _ in first })
        )
        if recent.count >= Self.capacity { runs[recent.removeFirst()] = nil }
        runs[runKey] = run
        recent.append(runKey)
        return run
    }
}
