// `deepfake explain` as a user meets it: on a run the binary itself trained (built-in small set,
// one epoch), it writes a PNG grid that libpng decodes to the documented layout and a CSV with a
// row per image; a second call never overwrites; two runs give a side-by-side grid; a folder
// without best.h5 and a missing folder are clear errors.

import XCTest
import Core
import Foundation
import ImageIO
import TestSupport

extension DeepfakeCLITests {
    func testExplainWritesADecodablePNGGridRefusesToOverwriteAndNamesAMissingCheckpoint() throws {
        let dir = try TemporaryFolder.make(for: self)
        try """
            modelType: Classic
            trainData:
              demo: builtin:small
            valSize: 0.3
            testSize: 0.5
            imageHeight: 32
            imageWidth: 32
            numEpochs: 1
            nCPUs: 2
            dataPath: \(dir)/data
            outputsPath: \(dir)/results
            """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let train = try run(["-c", dir + "/c.yaml", "-o"], in: dir)
        XCTAssertEqual(train.status, 0, train.err)
        let runs = try FileManager.default.contentsOfDirectory(atPath: dir + "/results")
        let runFolder = dir + "/results/" + (try XCTUnwrap(runs.first))

        let r = try run(["explain", runFolder, "--images", "4"], in: dir)
        XCTAssertEqual(r.status, 0, r.err)
        let png = runFolder + "/explain/gradcam.png"
        let image = try ImageDecoder.decode(fileAt: png)
        // Tiles of 32 px x 3 + 2-pixel frames = 100, 4-pixel gaps: 3 columns (image, map, overlay), 4 rows.
        XCTAssertEqual([image.width, image.height, image.channels], [4 + 3 * 104, 4 + 4 * 104, 3])
        XCTAssertGreaterThan(Set(image.pixels).count, 50, "the grid should hold real image content, not a blank picture")
        let csv = try String(contentsOfFile: runFolder + "/explain/explanations.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 5, csv.joined(separator: "\n"))
        XCTAssertTrue(csv[0].hasPrefix("row,path,dataset,label,category,run,model,method,p_fake"))
        XCTAssertTrue(csv.dropFirst().allSatisfy { $0.contains(",Classic,gradcam:layer3,") }, csv.joined(separator: "\n"))
        // Real and fake images both appear (the test split holds both classes).
        XCTAssertEqual(Set(csv.dropFirst().map { $0.split(separator: ",")[3] }), ["0", "1"])

        // Never overwrite: a second call fails and leaves the first output as it was.
        let before = try Data(contentsOf: URL(fileURLWithPath: png))
        let again = try run(["explain", runFolder], in: dir)
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.err.contains("output folder \(runFolder)/explain already exists and explain never overwrites: pass -o NEW_FOLDER"),
                      again.err)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: png)), before)

        // Two runs side by side (here the same run twice): 5 columns on the same images.
        let pair = try run(["explain", runFolder, runFolder, "--images", "2", "-o", dir + "/pair"], in: dir)
        XCTAssertEqual(pair.status, 0, pair.err)
        let wide = try ImageDecoder.decode(fileAt: dir + "/pair/gradcam.png")
        XCTAssertEqual([wide.width, wide.height], [4 + 5 * 104, 4 + 2 * 104])

        // Integrated gradients instead of Grad-CAM.
        let ig = try run(["explain", runFolder, "--images", "2", "--method", "integrated-gradients", "--steps", "4", "-o", dir + "/ig"], in: dir)
        XCTAssertEqual(ig.status, 0, ig.err)
        XCTAssertEqual(try ImageDecoder.decode(fileAt: dir + "/ig/integrated-gradients.png").width, 4 + 3 * 104)
        XCTAssertTrue(try String(contentsOfFile: dir + "/ig/explanations.csv", encoding: .utf8).contains(",Classic,integrated-gradients:4,"))

        // A folder with a config but no best.h5 (as an inference run leaves), and no folder at all.
        let noWeights = dir + "/no-weights"
        try FileManager.default.createDirectory(atPath: noWeights, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: runFolder + "/config.yaml", toPath: noWeights + "/config.yaml")
        let missing = try run(["explain", noWeights], in: dir)
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.err.contains("error: \(noWeights) has no best.h5: explain needs the best checkpoint a training run writes"),
                      missing.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: noWeights + "/explain"), "a refused call must not create its output folder")
        let nowhere = try run(["explain", dir + "/nowhere"], in: dir)
        XCTAssertEqual(nowhere.status, 1)
        XCTAssertTrue(nowhere.err.contains("run folder \(dir)/nowhere does not exist"), nowhere.err)
    }
}
