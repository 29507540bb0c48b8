// Decodes real hard1k JPEGs from ../shared/datasets (skipped with a message when absent) and checks
// them against Pillow 13 (libjpeg-turbo) decodes of the same files; opt-in throughput measurement.

import Core
import Foundation
import ImageIO
import XCTest

final class RealImageTests: XCTestCase {
    /// hard1k under $DEEPFAKE_DATASETS (a kagglehub cache, as benchmarks/preprocess_vs_pillow.sh
    /// takes it) when set, else under ../shared/datasets/kagglehub beside the repository.
    static var hard1k: String {
        let handle = "/datasets/hamzaboulahia/hardfakevsrealfaces/versions/1"
        if let root = ProcessInfo.processInfo.environment["DEEPFAKE_DATASETS"], !root.isEmpty { return root + handle }
        let repo = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repo.deletingLastPathComponent().path + "/shared/datasets/kagglehub" + handle
    }

    func hard1kOrSkip() throws -> String {
        let dir = RealImageTests.hard1k
        guard FileManager.default.fileExists(atPath: dir + "/real/real_10.jpg") else {
            print("RealImageTests: hard1k not found at \(dir); skipping real-JPEG checks (they need ../shared/datasets)")
            throw XCTSkip("hard1k dataset absent at \(dir)")
        }
        return dir
    }

    func testDecodesHard1kLikePillow() throws {
        let dir = try hard1kOrSkip()
        // Pillow 13.0 np.asarray(Image.open(f).convert("RGB")): sum of all bytes, pixel (150,150), pixel (x=299,y=0).
        let expected: [(String, Int, [Int], [Int])] = [
            ("fake/fake_161.jpg", 34_704_131, [241, 208, 199], [112, 116, 119]),
            ("real/real_10.jpg", 22_374_789, [174, 145, 139], [78, 107, 103]),
            ("real/real_200.jpg", 26_885_250, [193, 130, 121], [96, 114, 136]),
        ]
        for (name, sum, centre, corner) in expected {
            let img = try ImageDecoder.decode(fileAt: dir + "/" + name)
            XCTAssertEqual([img.width, img.height, img.channels], [300, 300, 3], name)
            let total = img.pixels.reduce(0) { $0 + Int($1) }
            XCTAssertEqual(Double(total), Double(sum), accuracy: Double(sum) * 0.001, name)   // same libjpeg-turbo ISLOW
            for c in 0..<3 {
                XCTAssertEqual(Int(img[150, 150, c]), centre[c], accuracy: 1, name)
                XCTAssertEqual(Int(img[299, 0, c]), corner[c], accuracy: 1, name)
            }
            // DCT-scaled pipeline vs full decode + area resize (see ImagePipeline.load for the figures).
            let ref = img.resized(width: 32, height: 32).pixels
            let small = try ImagePipeline.load(path: dir + "/" + name, width: 32, height: 32, channels: 3)
            XCTAssertLessThan(pixelDifference(small, ref).mean, 1.5, name)
            let fastest = try ImagePipeline.load(path: dir + "/" + name, width: 32, height: 32, channels: 3, oversampling: 1)
            XCTAssertLessThan(pixelDifference(fastest, ref).mean, 4.0, name)
        }
    }

    /// CPU time of the calling thread: on a shared, overloaded machine wall time mostly measures the
    /// other processes, CPU time the work itself.
    func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Single-thread decode + resize throughput on hard1k (images per CPU-second of this thread);
    /// runs only with DEEPFAKE_IO_BENCH=1
    /// (use a release build: `swift test -c release --filter RealImageTests/testThroughput`).
    func testThroughput() throws {
        guard ProcessInfo.processInfo.environment["DEEPFAKE_IO_BENCH"] == "1" else {
            throw XCTSkip("set DEEPFAKE_IO_BENCH=1 to measure decode + resize throughput")
        }
        let dir = try hard1kOrSkip()
        let files = try ["real", "fake"].flatMap { sub in
            try FileManager.default.contentsOfDirectory(atPath: dir + "/" + sub).filter { $0.hasSuffix(".jpg") }.sorted().map { dir + "/" + sub + "/" + $0 }
        }
        for (size, channels, oversampling) in [(64, 3, 2), (32, 3, 2), (64, 1, 2), (64, 3, 1), (32, 3, 1)] {
            var out = [UInt8](repeating: 0, count: size * size * channels)
            var best = 0.0
            for _ in 0..<3 {
                let t0 = threadCPUSeconds()
                for f in files {
                    try out.withUnsafeMutableBufferPointer {
                        try ImagePipeline.load(path: f, width: size, height: size, channels: channels, oversampling: oversampling,
                                               into: $0.baseAddress!)
                    }
                }
                best = max(best, Double(files.count) / (threadCPUSeconds() - t0))
            }
            print(String(format: "ImageIO throughput: %d hard1k JPEGs 300x300 -> %dx%dx%d, oversampling %d: %.0f images per CPU-second (best of 3, 1 thread)",
                         files.count, size, size, channels, oversampling, best))
        }
        // Resize alone, from the decoded 1/2-scale (150x150) and 1/4-scale (75x75) images.
        for (src, dst) in [(150, 64), (75, 32), (300, 64)] {
            let imgs = try files.prefix(200).map { try ImageDecoder.decode(fileAt: $0, targetWidth: src, targetHeight: src) }
            var out = [UInt8](repeating: 0, count: dst * dst * 3)
            var best = 0.0
            for _ in 0..<3 {
                let t0 = threadCPUSeconds()
                for img in imgs {
                    img.pixels.withUnsafeBufferPointer { s in
                        out.withUnsafeMutableBufferPointer { d in
                            areaResize(s.baseAddress!, width: img.width, height: img.height, channels: 3, into: d.baseAddress!, width: dst, height: dst)
                        }
                    }
                }
                best = max(best, Double(imgs.count) / (threadCPUSeconds() - t0))
            }
            print(String(format: "ImageIO area resize alone: %dx%dx3 -> %dx%d: %.0f images per CPU-second", imgs[0].width, imgs[0].height, dst, dst, best))
        }
    }
}
