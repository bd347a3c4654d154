// swift-tools-version: 6.0
// The GAN course: one compiled autodiff engine, one model library, numbered lesson executables.
import Foundation
import PackageDescription

// MARK: - Build settings

/// The numeric targets are compiled with `-O` even in the default debug build: users type `swift run lesson-...`,
/// and unoptimized Swift runs the hot loops 8-57x slower. (`-wmo` is left out: it breaks incremental debug builds.)
let optimized: [SwiftSetting] = [.unsafeFlags(["-O"])]

// MARK: - Lessons

/// Every lesson is `Lessons/NN-slug/main.swift` (+ its course notes, README.md), built as `lesson-NN-slug`.
/// Adding a lesson is one line here.
let lessons: [String] = [
  "01-autodiff",
  "02-toy-gan",
  "03-mode-collapse",
  "04-vanishing-gradients",
  "05-wgan",
  "06-dcgan-mnist",
  "07-cyclegan",
  "08-stylegan-mixing",
  "09-non-convergence",
  "10-super-resolution",
  "11-data-augmentation",
]

func lessonTarget(_ folder: String) -> Target {
  .executableTarget(
    name: "lesson-\(folder)",
    dependencies: [
      "Autograd", "NN", "GAN", "Datasets", "Plotting", "LessonKit",
      .product(name: "ArgumentParser", package: "swift-argument-parser"),
    ],
    path: "Lessons/\(folder)",
    exclude: ["README.md", "pretrained", "figures"].filter { exists("Lessons/\(folder)/\($0)") },
    swiftSettings: optimized)
}

/// Whether a path exists in the package (a lesson may ship a `pretrained` folder of checkpoints).
func exists(_ path: String) -> Bool {
  FileManager.default.fileExists(atPath: Context.packageDirectory + "/" + path)
}

// MARK: - Package

let package = Package(
  name: "GANCourse",
  products: [
    .library(name: "Autograd", targets: ["Autograd"]),
    .library(name: "NN", targets: ["NN"]),
    .library(name: "GAN", targets: ["GAN"]),
    .library(name: "Datasets", targets: ["Datasets"]),
    .library(name: "Plotting", targets: ["Plotting"]),
    .library(name: "LessonKit", targets: ["LessonKit"]),
    .executable(name: "gan-bench", targets: ["gan-bench"]),
    .executable(name: "train-classifier", targets: ["train-classifier"]),
    .executable(name: "gan-playground", targets: ["gan-playground"]),
    .executable(name: "gan-train", targets: ["gan-train"]),
    .executable(name: "gan-sample", targets: ["gan-sample"]),
    .executable(name: "gan-translate", targets: ["gan-translate"]),
    .executable(name: "course-book", targets: ["course-book"]),
  ] + lessons.map { .executable(name: "lesson-\($0)", targets: ["lesson-\($0)"]) },
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
  ],
  targets: [
    // MARK: Libraries
    // The engine's C kernels, behind Autograd's kernel layer: the BLAS loader (picks the fast OpenBLAS kernel for
    // this CPU before the library initializes), the thread pool, im2col/col2im, the Adam update, the normal sampler's
    // Box-Muller step and the FMA peak probe. Only Autograd imports it.
    .target(
      name: "CKernels",
      path: "Sources/CKernels",
      cSettings: [.unsafeFlags(["-O2", "-fno-math-errno"])],
      linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
    // Image files for user data: Debian's libpng and libjpeg-turbo (decoders maintained by their projects; the
    // course writes none of its own).
    .systemLibrary(name: "CPNG", path: "Sources/CPNG", providers: [.apt(["libpng-dev"])]),
    .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", providers: [.apt(["libturbojpeg0-dev"])]),
    .target(name: "Autograd", dependencies: ["CKernels"], exclude: ["RULES.md"], swiftSettings: optimized),
    .target(name: "NN", dependencies: ["Autograd"], swiftSettings: optimized),
    .target(name: "GAN", dependencies: ["Autograd", "NN"], resources: [.copy("Resources")], swiftSettings: optimized),
    .target(name: "Datasets", dependencies: ["Autograd", "CZlib", "CPNG", "CTurboJPEG"], swiftSettings: optimized),
    .target(name: "Plotting", dependencies: ["CZlib"], swiftSettings: optimized),
    .target(
      name: "LessonKit",
      dependencies: [
        "Autograd", "NN", "GAN", "Datasets", "Plotting",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Ink", package: "Ink"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: optimized),
    // Training the full-scale models on a user's image folders, with checkpoints that resume bit for bit.
    .target(
      name: "GANTools", dependencies: ["Autograd", "NN", "GAN", "Datasets", "Plotting", "LessonKit"],
      swiftSettings: optimized),

    // MARK: Executables
    .executableTarget(
      name: "gan-bench",
      dependencies: ["Autograd", "NN", "GAN", "LessonKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
      path: "Sources/GanBench", swiftSettings: optimized),
    .executableTarget(
      name: "train-classifier",
      dependencies: ["GAN", "Datasets", "LessonKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
      path: "Sources/TrainClassifier", swiftSettings: optimized),
    .executableTarget(
      name: "gan-playground",
      dependencies: [
        "LessonKit", "GAN", "Datasets", "Plotting",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Playground", exclude: ["README.md"], swiftSettings: optimized),
  ] + ["gan-train": "GanTrain", "gan-sample": "GanSample", "gan-translate": "GanTranslate"].sorted(by: <).map {
    .executableTarget(
      name: $0.key,
      dependencies: [
        "GANTools", "Datasets", "LessonKit", "NN", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Sources/\($0.value)", swiftSettings: optimized)
  } + [
    // The course book: the course notes beside each lesson's newest run, as a static site (Markdown by Ink).
    .executableTarget(
      name: "course-book",
      dependencies: [
        "LessonKit", .product(name: "Ink", package: "Ink"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Sources/CourseBook", swiftSettings: optimized),

    // MARK: Tests
    .testTarget(name: "AutogradTests", dependencies: ["Autograd"], swiftSettings: optimized),
    .testTarget(name: "NNTests", dependencies: ["NN"], swiftSettings: optimized),
    .testTarget(name: "GANTests", dependencies: ["GAN", "Datasets"], swiftSettings: optimized),
    .testTarget(name: "DatasetsTests", dependencies: ["Datasets"], swiftSettings: optimized),
    .testTarget(name: "PlottingTests", dependencies: ["Plotting"], swiftSettings: optimized),
    .testTarget(name: "LessonKitTests", dependencies: ["LessonKit"], swiftSettings: optimized),
    .testTarget(
      name: "GANToolsTests", dependencies: ["GANTools", "Datasets", "NN", "GAN"], exclude: ["PyTorch"],
      swiftSettings: optimized),
    .testTarget(name: "LessonTests", dependencies: ["Datasets"], swiftSettings: optimized),
  ] + lessons.map(lessonTarget),
  swiftLanguageModes: [.v6]
)
