// Reading event text byte for byte. GRDB reads a TEXT column as a C string, which ends at the
// first NUL, and an event's type or data may carry one; so the queries that read them select
// `CAST(x AS BLOB)` and decode the bytes here.

import Foundation
import GRDB

extension Row {
    /// The text of column `index`, selected as `CAST(… AS BLOB)`, with every byte it holds.
    func exactText(_ index: Int) -> String {
        String(decoding: (self[index] as Data?) ?? Data(), as: UTF8.self)
    }
}
