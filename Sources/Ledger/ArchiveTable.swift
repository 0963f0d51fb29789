// `ledger_archive(run_key)`: a table-valued function (an eponymous SQLite virtual table) giving
// the events of one run's archive as rows, in stream order; the `event_log` view reads archived
// events through it. Seqs, ids and types come from the archive's key sections alone; arrival
// times and data inflate the rest only when a query reads them. Each connection keeps its last
// few decoded archives, so a scan that meets a run's rows together decodes its archive once.

import GRDB
import GRDBSQLite

/// The virtual table module and its per-connection archive cache.
final class ArchiveTable {
    /// Decoded archives kept per connection.
    static let capacity = 16

    /// The table's columns; `run_key` is the hidden argument.
    private static let declaration =
        "CREATE TABLE x(seq INTEGER, event_id TEXT, type TEXT, received_at INTEGER, data TEXT, run_key HIDDEN)"
    private enum Column: Int32 { case seq, eventID, type, receivedAt, data, runKey }

    /// One archive as decoded so far.
    final class DecodedRun {
        let record: ArchiveRecord
        let keys: ArchivedKeys
        var events: [RawEvent]?

        init(record: ArchiveRecord, keys: ArchivedKeys) {
            self.record = record
            self.keys = keys
        }
    }

    private var reader: ArchiveReader
    private var runs: [Int64: DecodedRun] = [:]
    /// Run keys in `runs`, least recently used first.
    private var recent: [Int64] = []

    private init(_ connection: OpaquePointer) {
        reader = ArchiveReader(connection)
    }

    /// Registers `ledger_archive` on `db`'s connection.
    static func register(on db: Database) throws {
        guard let connection = db.sqliteConnection else { return }
        let table = Unmanaged.passRetained(ArchiveTable(connection)).toOpaque()
        let code = sqlite3_create_module_v2(connection, "ledger_archive", module, table) { table in
            if let table { Unmanaged<ArchiveTable>.fromOpaque(table).release() }
        }
        guard code == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot register ledger_archive")
        }
    }

    /// The archive of `runKey` with its keys decoded, or nil when the run has none.
    func run(_ runKey: Int64) throws(LedgerError) -> DecodedRun? {
        if let run = runs[runKey] {
            if recent.last != runKey {
                recent.removeAll { $0 == runKey }
                recent.append(runKey)
            }
            return run
        }
        guard let record = try reader.record(of: runKey) else { return nil }
        let run = DecodedRun(record: record, keys: try reader.keys(of: record))
        if recent.count >= Self.capacity { runs[recent.removeFirst()] = nil }
        runs[runKey] = run
        recent.append(runKey)
        return run
    }

    /// `run`'s events, decoding its data the first time they are asked for.
    func events(of run: DecodedRun) throws(LedgerError) -> [RawEvent] {
        if let events = run.events { return events }
        let events = try reader.events(of: run.record)
        run.events = events
        return events
    }

    // MARK: - The SQLite module

    /// The table as SQLite holds it: its base struct first, as SQLite requires.
    private struct Table {
        var base = sqlite3_vtab()
        var owner: Unmanaged<ArchiveTable>
    }

    /// A scan of one run's archive.
    private struct Cursor {
        var base = sqlite3_vtab_cursor()
        var owner: Unmanaged<ArchiveTable>
        var run: Unmanaged<DecodedRun>?
        var index = 0
    }

    nonisolated(unsafe) private static let module: UnsafeMutablePointer<sqlite3_module> = {
        var module = sqlite3_module()
        // xCreate stays nil: the table is eponymous only, used as a function, never created.
        module.xConnect = { connection, owner, _, _, tableOut, _ in
            let code = sqlite3_declare_vtab(connection, ArchiveTable.declaration)
            guard code == SQLITE_OK, let owner, let tableOut else { return code == SQLITE_OK ? SQLITE_ERROR : code }
            let table = UnsafeMutablePointer<Table>.allocate(capacity: 1)
            table.initialize(to: Table(owner: Unmanaged.fromOpaque(owner)))
            tableOut.pointee = UnsafeMutableRawPointer(table).assumingMemoryBound(to: sqlite3_vtab.self)
            return SQLITE_OK
        }
        module.xDisconnect = { table in
            guard let table else { return SQLITE_OK }
            UnsafeMutableRawPointer(table).assumingMemoryBound(to: Table.self).deinitialize(count: 1).deallocate()
            return SQLITE_OK
        }
        module.xDestroy = module.xDisconnect
        module.xBestIndex = { _, info in
            guard let info else { return SQLITE_ERROR }
            // Only a scan with the run key bound is possible; without it there is no plan.
            var argument: Int?
            for index in 0..<Int(info.pointee.nConstraint) {
                let constraint = info.pointee.aConstraint[index]
                if constraint.iColumn == Column.runKey.rawValue, constraint.op == SQLITE_INDEX_CONSTRAINT_EQ,
                    constraint.usable != 0
                {
                    argument = index
                }
            }
            guard let argument else { return SQLITE_CONSTRAINT }
            info.pointee.aConstraintUsage[argument].argvIndex = 1
            info.pointee.aConstraintUsage[argument].omit = 1
            info.pointee.estimatedCost = 50
            info.pointee.estimatedRows = 50
            if info.pointee.nOrderBy == 1, info.pointee.aOrderBy[0].iColumn == Column.seq.rawValue,
                info.pointee.aOrderBy[0].desc == 0
            {
                info.pointee.orderByConsumed = 1
            }
            return SQLITE_OK
        }
        module.xOpen = { table, cursorOut in
            guard let table, let cursorOut else { return SQLITE_ERROR }
            let owner = UnsafeMutableRawPointer(table).assumingMemoryBound(to: Table.self).pointee.owner
            let cursor = UnsafeMutablePointer<Cursor>.allocate(capacity: 1)
            cursor.initialize(to: Cursor(owner: owner))
            cursorOut.pointee = UnsafeMutableRawPointer(cursor).assumingMemoryBound(to: sqlite3_vtab_cursor.self)
            return SQLITE_OK
        }
        module.xClose = { cursor in
            guard let cursor else { return SQLITE_OK }
            let state = UnsafeMutableRawPointer(cursor).assumingMemoryBound(to: Cursor.self)
            state.pointee.run?.release()
            state.deinitialize(count: 1).deallocate()
            return SQLITE_OK
        }
        module.xFilter = { cursor, _, _, count, arguments in
            guard let cursor else { return SQLITE_ERROR }
            let state = UnsafeMutableRawPointer(cursor).assumingMemoryBound(to: Cursor.self)
            state.pointee.run?.release()
            state.pointee.run = nil
            state.pointee.index = 0
            guard count == 1, let arguments, sqlite3_value_type(arguments[0]) != SQLITE_NULL else { return SQLITE_OK }
            do throws(LedgerError) {
                let run = try state.pointee.owner.takeUnretainedValue().run(sqlite3_value_int64(arguments[0]))
                state.pointee.run = run.map { Unmanaged.passRetained($0) }
                return SQLITE_OK
            } catch {
                return fail(cursor.pointee.pVtab, error.description)
            }
        }
        module.xNext = { cursor in
            UnsafeMutableRawPointer(cursor!).assumingMemoryBound(to: Cursor.self).pointee.index += 1
            return SQLITE_OK
        }
        module.xEof = { cursor in
            let state = UnsafeMutableRawPointer(cursor!).assumingMemoryBound(to: Cursor.self).pointee
            guard let run = state.run?.takeUnretainedValue() else { return 1 }
            return state.index < run.keys.seqs.count ? 0 : 1
        }
        module.xColumn = { cursor, context, column in
            let state = UnsafeMutableRawPointer(cursor!).assumingMemoryBound(to: Cursor.self).pointee
            guard let context, let run = state.run?.takeUnretainedValue() else { return SQLITE_ERROR }
            let index = state.index
            switch Column(rawValue: column) {
            case .seq: sqlite3_result_int64(context, run.keys.seqs[index])
            case .eventID: result(context, run.keys.eventIDs[index])
            case .type: result(context, run.keys.types[index])
            case .runKey: sqlite3_result_int64(context, run.record.runKey)
            case .receivedAt, .data:
                do throws(LedgerError) {
                    let event = try state.owner.takeUnretainedValue().events(of: run)[index]
                    if column == Column.data.rawValue {
                        result(context, event.data)
                    } else {
                        sqlite3_result_int64(context, event.receivedAt)
                    }
                } catch {
                    sqlite3_result_error(context, error.description, -1)
                    return SQLITE_ERROR
                }
            case nil: sqlite3_result_null(context)
            }
            return SQLITE_OK
        }
        module.xRowid = { cursor, rowid in
            let state = UnsafeMutableRawPointer(cursor!).assumingMemoryBound(to: Cursor.self).pointee
            rowid?.pointee = state.run?.takeUnretainedValue().keys.seqs[state.index] ?? 0
            return SQLITE_OK
        }
        let pointer = UnsafeMutablePointer<sqlite3_module>.allocate(capacity: 1)
        pointer.initialize(to: module)
        return pointer
    }()
}

/// Sets `text` as the result of the current column.
private func result(_ context: OpaquePointer, _ text: String) {
    var text = text
    text.withUTF8 { bytes in
        sqlite3_result_text(context, bytes.baseAddress, Int32(bytes.count), StatementBinding.transient)
    }
}

/// Leaves `message` as the table's error, in memory SQLite owns and frees, and returns SQLITE_ERROR.
private func fail(_ table: UnsafeMutablePointer<sqlite3_vtab>?, _ message: String) -> Int32 {
    guard let table else { return SQLITE_ERROR }
    sqlite3_free(table.pointee.zErrMsg)
    let bytes = Array(message.utf8CString)
    if let copy = sqlite3_malloc(Int32(bytes.count)) {
        bytes.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        table.pointee.zErrMsg = copy.assumingMemoryBound(to: CChar.self)
    }
    return SQLITE_ERROR
}
