// The preparation of migration 005: format-1 archives kept their events' seqs in `archived_events`
// rows. Each is re-encoded as format 2 with those seqs into `temp.archive_upgrades`, which the
// migration's SQL writes back before it drops the key rows. An archive that cannot be read stays
// format 1, for `verify` to name.

import Foundation
import GRDB

enum ArchiveUpgrade {
    static func prepare(_ db: Database) throws {
        try db.execute(sql: "CREATE TEMP TABLE archive_upgrades (run_key INTEGER PRIMARY KEY, blob BLOB NOT NULL)")
        var reader = try ArchiveReader(db)
        let insert = try db.makeStatement(sql: "INSERT INTO temp.archive_upgrades (run_key, blob) VALUES (?, ?)")
        for runKey in try Int64.fetchAll(db, sql: "SELECT run_key FROM archives WHERE format = 1 ORDER BY run_key") {
            guard let record = try reader.record(of: runKey),
                let events = try? reader.events(of: record),
                let dictionary = try? reader.dictionary(of: record)
            else { continue }
            let seqs = try Int64.fetchAll(
                db, sql: "SELECT seq FROM archived_events WHERE run_key = ? ORDER BY seq", arguments: [runKey])
            guard let encoded = try? ArchiveCodec.encode(events, seqs: seqs, dictionary: dictionary),
                encoded.streamSHA256 == record.streamSHA256
            else { continue }
            try insert.execute(arguments: [runKey, Data(encoded.blob)])
        }
    }
}
