// Helpers shared by the store tests: a scratch directory removed when the test ends, and
// compact ways to make events.

import Foundation
import Ledger

/// A directory under the system temporary folder, deleted on deinit.
final class ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A step event of a run with id `id`, as Coasty sends it.
func stepEvent(_ id: Int, at micros: Int64 = 1_790_000_000_000_000) -> RawEvent {
    RawEvent(
        eventID: "\(id)", type: "step",
        data: #"{"event":"step","state":"running","step":\#(id),"message":"Clicked button \#(id)","ts":"2026-09-21T10:00:\#(String(format: "%02d", id % 60)).000Z"}"#,
        receivedAt: micros + Int64(id))
}
