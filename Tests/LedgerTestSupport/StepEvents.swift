// Compact ways to make events for the store tests.

import Foundation
import Ledger

/// A step event of a run with id `id`, as Coasty sends it.
package func stepEvent(_ id: Int, at micros: Int64 = 1_790_000_000_000_000) -> RawEvent {
    RawEvent(
        eventID: "\(id)", type: "step",
        data: #"{"event":"step","state":"running","step":\#(id),"message":"Clicked button \#(id)","ts":"2026-09-21T10:00:\#(String(format: "%02d", id % 60)).000Z"}"#,
        receivedAt: micros + Int64(id))
}
