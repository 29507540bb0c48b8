// Train/validation/test split: stratified, seeded, official splits kept; saved with the run.
//
// Meanings kept from the old tool: valSize is the fraction of the training data held out for
// validation; testSize is the fraction of that VALIDATION portion moved on to test (0 means the
// run tests on its testData instead). Images with an official split (from train/valid/test
// folders) keep it; when the data have an official train split but no official validation
// split, validation is carved from the official train part with valSize. Images without an
// official split are split with valSize/testSize. Per class, the held-out count is
// round(fraction * class count), so class ratios match to within one sample.

import Core
import Foundation

public struct DataSplit: Equatable, Codable, Sendable {
    public var train: [Int]
    public var val: [Int]
    public var test: [Int]
    /// Images the split was made over (PreparedData.count), checked on load.
    public var count: Int
    public var seed: UInt64
    /// PreparedData.cacheKey when made, so a split is never applied to other data.
    public var cacheKey: String

    public init(train: [Int], val: [Int], test: [Int], count: Int, seed: UInt64, cacheKey: String) {
        self.train = train; self.val = val; self.test = test; self.count = count; self.seed = seed; self.cacheKey = cacheKey
    }

    /// Makes the split. Index lists are sorted ascending (the epoch shuffler orders training).
    public static func make(labels: [Int32], officialSplits: [Int32], valSize: Double, testSize: Double,
                            seed: UInt64, cacheKey: String = "") throws -> DataSplit {
        guard (0..<1).contains(valSize) else {
            throw DeepfakeError("valSize \(valSize) is out of range: use a fraction in [0, 1), e.g. 0.2")
        }
        guard (0..<1).contains(testSize) || testSize == 1 else {
            throw DeepfakeError("testSize \(testSize) is out of range: use a fraction of the validation part in [0, 1] (0 = test on testData)")
        }
        precondition(labels.count == officialSplits.count)
        var rng = SeededRNG(seed: seed, stream: "split")
        var train: [Int] = [], val: [Int] = [], test: [Int] = []
        let hasOfficialVal = officialSplits.contains(OfficialSplit.val.rawValue)
        // Pools split by fractions: unspecified images, plus official train when there is no official val.
        var pool: [Int] = []
        for i in 0..<labels.count {
            switch officialSplits[i] {
            case OfficialSplit.train.rawValue: if hasOfficialVal { train.append(i) } else { pool.append(i) }
            case OfficialSplit.val.rawValue: val.append(i)
            case OfficialSplit.test.rawValue: test.append(i)
            default: pool.append(i)
            }
        }
        for cls in [Int32(0), 1] {
            var members = pool.filter { labels[$0] == cls }
            members.shuffle(using: &rng)
            let nVal = Int((valSize * Double(members.count)).rounded())
            let nTest = Int((testSize * Double(nVal)).rounded())
            test += members[0..<nTest]
            val += members[nTest..<nVal]
            train += members[nVal...]
        }
        return DataSplit(train: train.sorted(), val: val.sorted(), test: test.sorted(),
                         count: labels.count, seed: seed, cacheKey: cacheKey)
    }

    /// Writes the split as JSON (index lists into the prepared data).
    public func save(to path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        do { try enc.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw DeepfakeError("cannot write split file \(path): \(error.localizedDescription); check the run folder is writable")
        }
    }

    /// Reads a split written by `save`, checking it belongs to data of `count` images (and the
    /// same cache key when one is given).
    public static func load(from path: String, expectedCount: Int, cacheKey: String? = nil) throws -> DataSplit {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DeepfakeError("cannot read split file \(path): check the path")
        }
        let s: DataSplit
        do { s = try JSONDecoder().decode(DataSplit.self, from: data) } catch {
            throw DeepfakeError("split file \(path) is not a valid split (\(error)); delete it to make a new split")
        }
        guard s.count == expectedCount, cacheKey == nil || cacheKey == s.cacheKey || s.cacheKey.isEmpty else {
            throw DeepfakeError("split file \(path) was made for other data (\(s.count) images, key \(s.cacheKey)); "
                + "this data has \(expectedCount) images: delete the split file or use the matching data")
        }
        let all = s.train + s.val + s.test
        guard all.allSatisfy({ $0 >= 0 && $0 < expectedCount }), Set(all).count == all.count else {
            throw DeepfakeError("split file \(path) has out-of-range or repeated indices; delete it to make a new split")
        }
        return s
    }
}
