// Shared by the TrainingTests: the per-test temporary folder (TestSupport's).

import Foundation
import TestSupport
import XCTest

/// TestSupport's per-test temporary folder, visible to every file of this target.
typealias TemporaryFolderTestCase = TestSupport.TemporaryFolderTestCase
