// Writes the resolved Config as YAML (every key, defaults filled in, canonical spellings) for the
// run folder, so a run can be repeated from its own record: `Config.parse(yaml: c.toYAML())`
// gives a Config equal to `c`. Each key's YAML form is its row in `Config.keys`.

import Foundation
import Yams

extension Config {
    /// The resolved configuration as YAML, keys in `Config.keys` order. `loadNotes` become
    /// comments at the top. An empty `testData` is omitted (it is only allowed when testSize > 0).
    public func toYAML() -> String {
        let pairs = Config.keys.compactMap { key in key.node(self).map { (Node.scalar(key.name.represented()), $0) } }
        // serialize only fails on emitter misuse, never on a well-formed node tree like this one.
        let body = (try? Yams.serialize(node: Node(pairs), width: -1)) ?? ""
        var header = "# Resolved deepfake configuration: every key, defaults filled in.\n"
        for note in loadNotes { header += "# note: \(note)\n" }
        return header + body
    }
}
