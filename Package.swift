// swift-tools-version: 6.0
// The GAN course: one compiled autodiff engine, one model library, numbered lesson executables.
import PackageDescription

// MARK: - Build settings

/// The numeric targets are compiled with `-O` even in the default debug build: users type `swift run lesson-...`,
/// and unoptimised Swift runs the hot loops 8-57x slower. (`-wmo` is left out: it breaks incremental debug builds.)
let optimised: [SwiftSetting] = [.unsafeFlags(["-O"])]

// MARK: - Lessons

/// Every lesson is `Lessons/NN-slug/main.swift`, built as the executable `lesson-NN-slug`.
/// Adding a lesson is one line here.
let lessons: [String] = [
]

func lessonTarget(_ folder: String) -> Target {
  .executableTarget(
    name: "lesson-\(folder)",
    dependencies: ["Autograd"],
    path: "Lessons/\(folder)",
    exclude: ["README.md"],
    swiftSettings: optimised)
}

// MARK: - Package

let package = Package(
  name: "GANCourse",
  products: [
    .library(name: "Autograd", targets: ["Autograd"]),
    .executable(name: "gan-bench", targets: ["gan-bench"]),
  ] + lessons.map { .executable(name: "lesson-\($0)", targets: ["lesson-\($0)"]) },
  targets: [
    // The BLAS loader: picks the fast OpenBLAS kernel for this CPU before the library initialises.
    .target(
      name: "CBLAS",
      path: "Sources/CBLAS",
      cSettings: [.unsafeFlags(["-O2"])],
      linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
    .target(name: "Autograd", dependencies: ["CBLAS"], swiftSettings: optimised),
    .executableTarget(name: "gan-bench", dependencies: ["Autograd"], path: "Sources/GanBench", swiftSettings: optimised),
    .testTarget(name: "AutogradTests", dependencies: ["Autograd"], swiftSettings: optimised),
  ] + lessons.map(lessonTarget),
  swiftLanguageModes: [.v6]
)
