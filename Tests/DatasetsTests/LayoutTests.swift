// Class-folder detection on every known dataset layout, plus the ambiguous and empty cases.

import Core
import Foundation
import XCTest
@testable import Datasets

final class LayoutTests: XCTestCase {
    func make(_ dirs: [String], images: Int = 2) throws -> String {
        let root = tempDir("layout")
        for d in dirs { try Fixtures.fill((root as NSString).appendingPathComponent(d), count: images, ext: "jpg") }
        return root
    }

    func rel(_ path: String, _ root: String) -> String { String(path.dropFirst(root.count + 1)) }

    func testClassNameRule() {
        XCTAssertEqual(ClassLayout.classLabel(ofFolder: "real"), 0)
        XCTAssertEqual(ClassLayout.classLabel(ofFolder: "FAKE"), 1)
        XCTAssertEqual(ClassLayout.classLabel(ofFolder: "training_real"), 0)
        XCTAssertEqual(ClassLayout.classLabel(ofFolder: "fake_images"), 1)
        XCTAssertEqual(ClassLayout.classLabel(ofFolder: "Real-Images"), 0)
        XCTAssertNil(ClassLayout.classLabel(ofFolder: "real_vs_fake"))
        XCTAssertNil(ClassLayout.classLabel(ofFolder: "real-and-fake-face"))
        XCTAssertNil(ClassLayout.classLabel(ofFolder: "unreal"))   // tokens, not substrings
        XCTAssertNil(ClassLayout.classLabel(ofFolder: "train"))
    }

    func testHard1k() throws {
        let root = try make(["real", "fake"])
        let found = try ClassLayout.detect(root: root)
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(rel(found[0].real, root), "real")
        XCTAssertEqual(rel(found[0].fake, root), "fake")
        XCTAssertEqual(found[0].split, .none)
    }

    func testDeepfake2k() throws {
        let root = try make(["real_and_fake_face/training_real", "real_and_fake_face/training_fake"])
        let found = try ClassLayout.detect(root: root)
        XCTAssertEqual(found.map { rel($0.real, root) }, ["real_and_fake_face/training_real"])
        XCTAssertEqual(found.map { rel($0.fake, root) }, ["real_and_fake_face/training_fake"])
        XCTAssertEqual(found[0].split, .none)
    }

    func testDeepfake2kDuplicateCopyCollapses() throws {
        // The Kaggle archive ships the same folder twice; identical copies are not ambiguous.
        let root = try make(["real_and_fake_face/training_real", "real_and_fake_face/training_fake",
                             "real_and_fake_face_detection/real_and_fake_face/training_real",
                             "real_and_fake_face_detection/real_and_fake_face/training_fake"])
        let found = try ClassLayout.detect(root: root)
        XCTAssertEqual(found.map { rel($0.real, root) }, ["real_and_fake_face/training_real"])
    }

    func testCIFAKE() throws {
        let root = try make(["train/REAL", "train/FAKE", "test/REAL", "test/FAKE"])
        let found = try ClassLayout.detect(root: root).sorted { $0.split.rawValue < $1.split.rawValue }
        XCTAssertEqual(found.map { $0.split }, [.train, .test])
        XCTAssertEqual(rel(found[0].fake, root), "train/FAKE")
        XCTAssertEqual(rel(found[1].real, root), "test/REAL")
    }

    func test140k() throws {
        let root = try make(["real_vs_fake/real-vs-fake/train/real", "real_vs_fake/real-vs-fake/train/fake",
                             "real_vs_fake/real-vs-fake/valid/real", "real_vs_fake/real-vs-fake/valid/fake",
                             "real_vs_fake/real-vs-fake/test/real", "real_vs_fake/real-vs-fake/test/fake"])
        let found = try ClassLayout.detect(root: root).sorted { $0.split.rawValue < $1.split.rawValue }
        XCTAssertEqual(found.map { $0.split }, [.train, .val, .test])
        XCTAssertEqual(rel(found[1].real, root), "real_vs_fake/real-vs-fake/valid/real")
    }

    func testRvf10k() throws {
        let root = try make(["rvf10k/train/real", "rvf10k/train/fake", "rvf10k/valid/real", "rvf10k/valid/fake"])
        let found = try ClassLayout.detect(root: root).sorted { $0.split.rawValue < $1.split.rawValue }
        XCTAssertEqual(found.map { $0.split }, [.train, .val])
        XCTAssertEqual(rel(found[0].fake, root), "rvf10k/train/fake")
    }

    func testImagesFoundRecursivelyByExtensionAnyCase() throws {
        let root = try make(["real", "fake"], images: 1)
        for name in ["a.JPG", "sub/b.jpeg", "sub/deeper/c.PNG"] {
            try Fixtures.writeImage((root as NSString).appendingPathComponent("real/" + name))
        }
        try "not an image".write(toFile: (root as NSString).appendingPathComponent("real/notes.txt"), atomically: true, encoding: .utf8)
        XCTAssertEqual(ClassLayout.imageFiles(under: (root as NSString).appendingPathComponent("real")),
                       ["a.JPG", "img_0.jpg", "sub/b.jpeg", "sub/deeper/c.PNG"])
    }

    func assertError(_ root: String, contains parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ClassLayout.detect(root: root), file: file, line: line) { error in
            let m = (error as? DeepfakeError)?.message ?? "\(error)"
            for p in parts { XCTAssertTrue(m.contains(p), "'\(p)' not in: \(m)", file: file, line: line) }
        }
    }

    func testTwoRealCandidatesAtOneLevelIsAmbiguous() throws {
        let root = try make(["real", "real_images", "fake"])
        assertError(root, contains: ["ambiguous", root, "real_images"])
    }

    func testTwoUnsplitCopiesThatDifferAreAmbiguous() throws {
        let root = try make(["a/real", "a/fake", "b/real", "b/fake"])
        try Fixtures.writeImage((root as NSString).appendingPathComponent("b/real/extra.png"))
        assertError(root, contains: ["ambiguous", "/a", "/b"])
    }

    func testMissingFakeFolder() throws {
        let root = try make(["real"])
        assertError(root, contains: [root, "fake candidates []"])
    }

    func testEmptyDatasetFolder() throws {
        let root = try make(["stuff/other"])
        assertError(root, contains: ["no real/fake class folders", root, "stuff"])
    }

    func testClassFolderWithoutImages() throws {
        let root = try make(["fake"])
        try FileManager.default.createDirectory(atPath: (root as NSString).appendingPathComponent("real"), withIntermediateDirectories: true)
        assertError(root, contains: ["holds no .jpg/.jpeg/.png images", "/real"])
    }
}
