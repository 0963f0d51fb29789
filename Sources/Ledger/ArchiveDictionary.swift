// The preset dictionary archives are deflated with: the templates (see EventTemplate) that a
// sample of the store's own events use, the most frequent last, where deflate reaches them with
// the shortest distances. Built once, at the first compaction, and kept as a versioned row.

/// Builds preset dictionaries from sample events.
package enum ArchiveDictionary {
    /// Deflate's window: a longer dictionary would not be reachable.
    static let maximumSize = 32 * 1024

    /// A dictionary for streams like `samples` (event data texts): their distinct templates
    /// ordered from least to most frequent, the least frequent dropped beyond `maximumSize`.
    package static func build(from samples: [String]) -> [UInt8] {
        var counts: [[UInt8]: Int] = [:]
        for sample in samples {
            var split = EventTemplate()
            var data = sample
            data.withUTF8 { split.split($0) }
            counts[split.templates, default: 0] += 1
        }
        let ordered = counts.sorted {
            $0.value != $1.value ? $0.value > $1.value : $0.key.lexicographicallyPrecedes($1.key)
        }
        var kept: [[UInt8]] = []
        var size = 0
        for (template, _) in ordered where size + template.count <= maximumSize {
            kept.append(template)
            size += template.count
        }
        return kept.reversed().flatMap { $0 }
    }
}
