// Writes the resolved Config as YAML (every key, defaults filled in, canonical spellings) for the
// run folder, so a run can be repeated from its own record: `Config.parse(yaml: c.toYAML())`
// gives a Config equal to `c`.

import Foundation
import Yams

extension Config {
    /// The resolved configuration as YAML, keys in `Config.validKeys` order. `loadNotes` become
    /// comments at the top. An empty `testData` is omitted (it is only allowed when testSize > 0).
    public func toYAML() -> String {
        func s(_ v: String) -> Node { .scalar(v.represented()) }
        func i(_ v: Int) -> Node { Node(String(v)) }
        // Swift's description is the shortest text that reads back to the same Double, and always
        // has a '.' or an exponent, so YAML resolves it as a float.
        func r(_ v: Double) -> Node { Node(v.description) }
        func b(_ v: Bool) -> Node { Node(v ? "true" : "false") }
        func ds(_ v: [DatasetEntry]) -> Node { Node(v.map { (s($0.name), s($0.source.description)) }) }

        var pairs: [(String, Node)] = [
            ("outputsPath", s(outputsPath)), ("kagglePath", s(kagglePath)), ("dataPath", s(dataPath)),
            ("modelPath", s(modelPath)), ("manualSeed", i(manualSeed)), ("trainData", ds(trainData)),
        ]
        if !testData.isEmpty { pairs.append(("testData", ds(testData))) }
        pairs += [
            ("valSize", r(valSize)), ("testSize", r(testSize)), ("numWorkers", i(numWorkers)),
            ("batchSize", i(batchSize)), ("imageHeight", i(imageHeight)), ("imageWidth", i(imageWidth)),
            ("numChannels", i(numChannels)),
            ("modelType", s(modelType.rawValue)), ("quanType", s(quanType.rawValue)), ("nQubits", i(nQubits)),
            ("qubitType", s(qubitType.rawValue)), ("diffType", s(diffType.rawValue)), ("nLayers", i(nLayers)),
            ("typeLayers", s(typeLayers.rawValue)), ("trainable", b(trainable)), ("patch", b(patch)),
            ("nQuantumLayers", i(nQuantumLayers)), ("classicalTwin", b(classicalTwin)),
            ("numEpochs", i(numEpochs)), ("learningRate", r(learningRate)), ("beta1", r(beta1)),
            ("optimizer", s(optimizer.rawValue)), ("momentum", r(momentum)), ("weightDecay", r(weightDecay)),
            ("lrSchedule", s(lrSchedule.rawValue)), ("warmupEpochs", i(warmupEpochs)),
            ("earlyStoppingPatience", i(earlyStoppingPatience)),
            ("earlyStoppingMetric", s(earlyStoppingMetric.rawValue)),
            ("augment", Node(augment.map { s($0.rawValue) }, .implicit, .flow)),
            ("checkpointEverySteps", i(checkpointEverySteps)),
            ("nGPUs", i(nGPUs)), ("nCPUs", i(nCPUs)),
        ]
        assert(pairs.map { $0.0 }.allSatisfy { Config.validKeys.contains($0) })
        let root = Node(pairs.map { (s($0.0), $0.1) })
        // serialize only fails on emitter misuse, never on a well-formed node tree like this one.
        let body = (try? Yams.serialize(node: root, width: -1)) ?? ""
        var header = "# Resolved deepfake configuration: every key, defaults filled in.\n"
        for note in loadNotes { header += "# note: \(note)\n" }
        return header + body
    }
}
