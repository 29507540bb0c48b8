// swift-tools-version:6.0
// DeepfakeDetection: a Slurm-oriented HPC benchmark suite that trains real-vs-fake face
// classifiers (classic CNN, hybrid quantum, quanvolution) and measures them fairly.
// Arrows point down: C shims -> Core -> NN/Quantum/Storage/ImageIO/MPIComm -> Config,
// Datasets, Metrics, Models, Download, Reporting -> Training (the loop, checkpoints, resume) ->
// App (the commands: data staging, model factory, quantum records, compare) -> thin executables,
// which alone create and finalise the MPI world.
import PackageDescription


/// Numeric targets are optimised in debug builds too: their loops run 10-50x slower at -Onone, and
/// the test suite trains real networks. (`-enable-testing` stays on, so @testable still works.)
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "DeepfakeDetection",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "deepfake", targets: ["deepfake"]),
        .executable(name: "bench", targets: ["bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
    ],
    targets: [
        // C shims: each has exactly one Swift importer.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5-serial", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .target(name: "CHuffmanDeflate", cSettings: [.unsafeFlags(["-O2"])], linkerSettings: [.linkedLibrary("z")]),
        .target(name: "CImageCodec",
                cSettings: [.unsafeFlags(["-O2", "-I/usr/include/libpng16"])],
                linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16")]),

        // Foundations.
        .target(name: "Core", swiftSettings: optimisedInDebug),
        .target(name: "NN", dependencies: ["Core", "CBLAS"], swiftSettings: optimisedInDebug),
        .target(name: "Quantum", dependencies: ["Core"], swiftSettings: optimisedInDebug),
        .target(name: "Storage", dependencies: ["Core", "CHDF5", "CHuffmanDeflate"], exclude: ["README.md"]),
        .target(name: "ImageIO", dependencies: ["Core", "CImageCodec"], exclude: ["README.md"], swiftSettings: optimisedInDebug),
        .target(name: "MPIComm", dependencies: ["Core", "CMPI"]),

        // Domain.
        .target(name: "Config", dependencies: ["Core", "Yams"]),
        .target(name: "Metrics"),
        .target(name: "Datasets", dependencies: ["Core", "ImageIO", "Storage", "Config"], exclude: ["README.md"], swiftSettings: optimisedInDebug),
        .target(name: "Models", dependencies: ["Core", "NN", "Quantum", "Storage"], swiftSettings: optimisedInDebug),
        .target(name: "Download", dependencies: ["Core", "ZIPFoundation"]),
        .target(name: "Reporting", dependencies: ["Core", "Metrics", "Storage", "ImageIO"]),
        .target(name: "Training",
                dependencies: ["Core", "NN", "Quantum", "Storage", "Config", "Metrics", "Datasets", "Models", "Reporting"]),
        .target(name: "App",
                dependencies: ["Training", "Core", "NN", "Quantum", "Storage", "Config", "Datasets", "Models",
                               "Download", "Reporting"]),

        // Test-only helpers (a local Kaggle stand-in server, zip fixtures, temporary folders, child
        // processes, the finite-difference gradient check); no executable links them.
        .target(name: "TestSupport", dependencies: ["Core", "NN", "ZIPFoundation"], resources: [.copy("Resources")]),

        .target(name: "BenchSuite", dependencies: ["App", "Training", "Core", "Config", "Reporting", "Storage", "NN", "Models", "Quantum", "Datasets",
                                                   "Metrics", "Yams"]),

        // Thin executables.
        .executableTarget(name: "deepfake", dependencies: ["App", "Training", "Core", "NN", "MPIComm", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "bench", dependencies: ["BenchSuite", "NN", "Models", "Quantum", "MPIComm", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // Tests: one target per library; all run under plain `swift test` without mpirun.
        .testTarget(name: "CoreTests", dependencies: ["Core", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Core", "TestSupport"]),
        .testTarget(name: "QuantumTests", dependencies: ["Quantum", "Core"], resources: [.copy("Fixtures")]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "Core", "TestSupport", "CHDF5", "CHuffmanDeflate"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "Core", "TestSupport"]),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "Core", "TestSupport"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "Core"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "Metrics", "Core", "Storage", "TestSupport", "ImageIO"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "ImageIO", "Storage", "Config", "Core", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "NN", "Quantum", "Core", "Storage", "TestSupport"]),
        .testTarget(name: "DownloadTests", dependencies: ["Download", "Core", "ZIPFoundation", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "NN", "Core", "Config", "Storage", "Metrics", "Reporting", "Datasets", "TestSupport"]),
        .testTarget(name: "AppTests", dependencies: ["App", "Training", "Models", "NN", "Quantum", "Core", "Config", "Storage", "Metrics", "Reporting", "Datasets", "TestSupport", "ZIPFoundation", "ImageIO"]),
        // Runs the built `deepfake` binary (next to the test bundle): golden --help, exit codes, errors.
        .testTarget(name: "DeepfakeCLITests", dependencies: ["Core", "TestSupport", "ImageIO"], exclude: ["Golden"]),
        .testTarget(name: "BenchSuiteTests", dependencies: ["BenchSuite", "Reporting", "Storage", "Datasets", "Config", "Core", "TestSupport"]),
    ],
    // Swift 5 language mode: the numeric kernels share raw buffers across worker threads by
    // design (disjoint ranges), which Swift 6's strict Sendable checking cannot express.
    swiftLanguageModes: [.v5]
)
