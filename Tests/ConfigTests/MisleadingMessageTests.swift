// Messages that named the wrong problem (issue 9, probing defect 9): `testSize: 1.0` was reported
// as "testSize 0 (the default)" needing testData; a Kaggle handle `x/..` was accepted.

import XCTest
import Core
@testable import Config

final class MisleadingMessageTests: XCTestCase {
    func problems(_ yaml: String) -> [String] {
        do { _ = try Config.parse(yaml: yaml, source: "cfg.yaml"); XCTFail("expected an error"); return [] } catch {
            return "\(error)".split(separator: "\n").dropFirst().map(String.init)
        }
    }

    func testTestSizeOneNamesTheRangeNotTheDefault() {
        let yaml = "modelType: Classic\ntrainData:\n  a: ./data\nvalSize: 0.2\ntestSize: 1.0\n"
        let p = problems(yaml)
        XCTAssertEqual(p.count, 1, "\(p)")
        XCTAssertTrue(p.first?.contains("testSize is 1.0, out of range") == true, "\(p)")
        XCTAssertFalse(p.joined().contains("the default"), "\(p)")
        // An explicit 0 without testData still gets the testData rule.
        XCTAssertTrue(problems("modelType: Classic\ntrainData:\n  a: ./data\ntestSize: 0\n").joined().contains("missing key 'testData'"))
    }

    func testKaggleHandleClimbingOutIsRefusedAtLoad() {
        let p = problems("modelType: Classic\ntrainData:\n  a: x/..\ntestData:\n  b: ./t\n")
        XCTAssertTrue(p.joined().contains("dataset name '..'"), "\(p)")
    }
}
