// Keeping the projections current outside live appends: catching up from the checkpoint (what
// every report does first, a no-op when appends are live) and rebuilding them from nothing. Both
// replay stored events through the same Projector as live appends.

import GRDB

/// What a rebuild did.
package struct RebuildSummary: Sendable, Equatable {
    package var runs: Int
    package var events: Int
    package var steps: Int

    package init(runs: Int, events: Int, steps: Int) {
        self.runs = runs
        self.events = events
        self.steps = steps
    }
}

extension LedgerStore {
    /// How far each projection has read: projection name to the seq of the last event applied.
    package func projectionCheckpoints() throws -> [String: Int64] {
        try read("reading projection checkpoints") { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT name, last_seq FROM projection_checkpoints")
                    .map { ($0[0] as String, $0[1] as Int64) })
        }
    }

    /// Applies every stored event the projections have not read yet (left by `.deferred` appends
    /// or another process), so that what they answer includes every event stored. Cheap when current.
    package func catchUpProjections() throws {
        let behind = try read("checking the projection checkpoint") { db in
            let checkpoint = try Int64.fetchOne(db, sql: "SELECT min(last_seq) FROM projection_checkpoints") ?? 0
            return try (Int64.fetchOne(db, sql: "SELECT max(seq) FROM events") ?? 0) > checkpoint
        }
        if behind { try project("bringing projections up to date", rebuilding: false) { _ in () } }
    }

    /// Drops every projection row and recomputes them from all stored events, archived ones
    /// included, in one transaction; prices are kept. `progress` gets (events applied, events to apply).
    @discardableResult
    package func rebuildProjections(
        progressInterval: Int = 250_000, progress: (_ applied: Int, _ total: Int) -> Void = { _, _ in }
    ) throws -> RebuildSummary {
        try project("rebuilding projections", rebuilding: true, progressInterval: progressInterval, progress: progress)
        {
            db in
            RebuildSummary(
                runs: try Int.fetchOne(db, sql: "SELECT count(*) FROM runs") ?? 0,
                events: try Int.fetchOne(db, sql: "SELECT coalesce(sum(event_count), 0) FROM runs") ?? 0,
                steps: try Int.fetchOne(db, sql: "SELECT count(*) FROM steps") ?? 0)
        }
    }

    /// Runs a Projector, which catches up from the checkpoint, in one write transaction under the
    /// stream cache's lock and its `data_version` check; `rebuilding` first empties the projections.
    private func project<T>(
        _ context: String, rebuilding: Bool, progressInterval: Int = 250_000,
        progress: (Int, Int) -> Void = { _, _ in }, summary: (Database) throws -> T
    ) throws -> T {
        try streamCache.withLock { cache in
            do {
                return try write(context) { db in
                    let version = try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0
                    if version != cache.dataVersion { cache = StreamCache(dataVersion: version) }
                    if rebuilding {
                        try db.execute(
                            sql: """
                                DELETE FROM runs; DELETE FROM steps; DELETE FROM transitions;
                                UPDATE projection_checkpoints SET last_seq = 0;
                                """)
                        cache.projections = ProjectionCache()
                    }
                    var projector = try Projector(
                        db, taking: &cache.projections, replayingArchives: rebuilding,
                        progressInterval: progressInterval, progress: progress)
                    cache.projections = try projector.finish()
                    return try summary(db)
                }
            } catch {
                cache = StreamCache()
                throw error
            }
        }
    }
}
