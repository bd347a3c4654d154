import Autograd

/// Where a generator's samples sit among the modes of a mixture, checkpoint after checkpoint: the record that shows
/// mode collapse (few modes at once) and mode hopping (the occupied mode changing over time).
///
/// At each checkpoint two histograms are taken over the modes:
/// - `ModeCoverage` (the standard protocol): high-quality samples, within `threshold` standard deviations of their
///   nearest mode; a mode is captured with at least `minimumCount` of them.
/// - the *occupancy*: the share of all samples that lie within `nearRadius` of each mode, by default half the
///   smallest distance between two centers, so each sample is near at most one mode. A generator that has collapsed
///   to a blurry blob still has a clear occupancy, so this is what shows where the mass is and how it moves.
public struct ModeTimeline: Sendable {
  /// The mode centers.
  public let centers: [[Float]]
  /// The standard deviation of each mode (the protocol's unit of distance).
  public let std: Float
  public let threshold: Float
  public let minimumCount: Int
  /// A sample within this distance of a center occupies that mode.
  public let nearRadius: Float

  /// The checkpoints' steps.
  public private(set) var steps: [Int] = []
  /// The standard measurement at each checkpoint.
  public private(set) var coverages: [ModeCoverage] = []
  /// At each checkpoint, the share of samples near each mode (one row per checkpoint, one column per mode).
  public private(set) var occupancy: [[Double]] = []

  public init(centers: [[Float]], std: Float, threshold: Float = 3, minimumCount: Int = 20, nearRadius: Float? = nil) {
    precondition(!centers.isEmpty, "ModeTimeline: needs at least one mode center")
    self.centers = centers
    self.std = std
    self.threshold = threshold
    self.minimumCount = minimumCount
    self.nearRadius = nearRadius ?? ModeTimeline.halfSmallestSeparation(centers)
  }

  /// Half the smallest distance between two centers (infinite with a single mode).
  public static func halfSmallestSeparation(_ centers: [[Float]]) -> Float {
    var smallest = Float.infinity
    for i in 0..<centers.count {
      for j in (i + 1)..<centers.count {
        var squared: Float = 0
        for k in 0..<centers[i].count { squared += (centers[i][k] - centers[j][k]) * (centers[i][k] - centers[j][k]) }
        smallest = min(smallest, squared.squareRoot())
      }
    }
    return smallest / 2
  }

  /// Measures `samples` [N, D] taken at `step`.
  public mutating func record(step: Int, samples: Tensor) {
    steps.append(step)
    coverages.append(
      ModeCoverage(samples: samples, centers: centers, std: std, threshold: threshold, minimumCount: minimumCount))
    occupancy.append(ModeTimeline.occupancy(of: samples, centers: centers, radius: nearRadius))
  }

  /// The share of `samples` [N, D] within `radius` of each center (a sample counts for its nearest center only).
  public static func occupancy(of samples: Tensor, centers: [[Float]], radius: Float) -> [Double] {
    precondition(samples.rank == 2, "ModeTimeline.occupancy: samples must be [N, D], got \(samples.shape)")
    let n = samples.shape[0], d = samples.shape[1]
    precondition(centers.allSatisfy { $0.count == d }, "ModeTimeline.occupancy: centers must have \(d) coordinates")
    let counts = ModeCoverage.nearestModeCounts(samples, centers: centers, radius: radius)
    return counts.map { n == 0 ? 0 : Double($0) / Double(n) }
  }

  // MARK: Summaries

  /// The mode holding the largest share of samples at each checkpoint (nil when no sample is near any mode).
  public var mainModes: [Int?] {
    occupancy.map { shares in
      guard let top = shares.max(), top > 0 else { return nil }
      return shares.firstIndex(of: top)
    }
  }

  /// Checkpoints from `fraction` of the way through training onwards (to leave out the first, unformed steps).
  func laterIndices(from fraction: Double) -> [Int] {
    guard let last = steps.last else { return [] }
    let start = Double(last) * fraction
    return steps.indices.filter { Double(steps[$0]) >= start }
  }

  /// How many different modes were the main mode at some checkpoint from `fraction` of training onwards.
  public func distinctMainModes(from fraction: Double = 0.25) -> Int {
    Set(laterIndices(from: fraction).compactMap { mainModes[$0] }).count
  }

  /// How often the main mode changed between consecutive checkpoints from `fraction` of training onwards.
  public func hops(from fraction: Double = 0.25) -> Int {
    let modes = laterIndices(from: fraction).compactMap { mainModes[$0] }
    return zip(modes, modes.dropFirst()).filter { $0 != $1 }.count
  }

  /// The mean share of samples in the main mode, from `fraction` of training onwards: near 1 for a generator that
  /// puts everything on one mode, 1/modes for one that spreads evenly.
  public func meanMainShare(from fraction: Double = 0.25) -> Double {
    let indices = laterIndices(from: fraction)
    guard !indices.isEmpty else { return 0 }
    return indices.map { occupancy[$0].max() ?? 0 }.reduce(0, +) / Double(indices.count)
  }

  /// The most modes captured at any one checkpoint from `fraction` of training onwards.
  public func mostCapturedAtOnce(from fraction: Double = 0.25) -> Int {
    laterIndices(from: fraction).map { coverages[$0].modesCaptured }.max() ?? 0
  }
}
