import Autograd
import Datasets
import XCTest

@testable import GAN

final class ModeTimelineTests: XCTestCase {
  let centers: [[Float]] = [[0, 0], [2, 0], [0, 2]]

  /// Occupancy counts a sample for its nearest mode only when it is within the radius; far samples count for none.
  func testOccupancyShares() {
    let samples = Tensor([[0.1, 0], [1.9, 0.1], [2.1, 0], [5, 5]])
    let shares = ModeTimeline.occupancy(of: samples, centers: centers, radius: 0.5)
    XCTAssertEqual(shares, [0.25, 0.5, 0])
    XCTAssertEqual(ModeTimeline.halfSmallestSeparation(centers), 1, accuracy: 1e-6)
  }

  /// A generator that sits on one mode at a time and moves on: main modes, hops, mean share and captured modes.
  func testCollapsedAndHoppingGenerator() {
    var timeline = ModeTimeline(centers: centers, std: 0.1, minimumCount: 3)
    let visits = [0, 0, 1, 1, 2, 0]
    for (index, mode) in visits.enumerated() {
      let c = centers[mode]
      let samples = Tensor((0..<4).map { _ in c })
      timeline.record(step: (index + 1) * 10, samples: samples)
    }
    XCTAssertEqual(timeline.mainModes, visits)
    XCTAssertEqual(timeline.hops(from: 0), 3)
    XCTAssertEqual(timeline.distinctMainModes(from: 0), 3)
    // From half-way (step 30 of 60) on: modes 1, 1, 2, 0.
    XCTAssertEqual(timeline.hops(from: 0.5), 2)
    XCTAssertEqual(timeline.meanMainShare(), 1, accuracy: 1e-12)
    XCTAssertEqual(timeline.mostCapturedAtOnce(from: 0), 1)
    XCTAssertEqual(timeline.coverages.last?.counts, [4, 0, 0])
  }

  /// Samples spread evenly over the modes: every mode captured, no main mode dominates, KL to uniform 0.
  func testSpreadGenerator() {
    var timeline = ModeTimeline(centers: centers, std: 0.1, minimumCount: 2)
    let samples = Tensor(centers + centers)
    timeline.record(step: 1, samples: samples)
    XCTAssertEqual(timeline.meanMainShare(from: 0), 1.0 / 3, accuracy: 1e-12)
    XCTAssertEqual(timeline.mostCapturedAtOnce(from: 0), 3)
    XCTAssertEqual(timeline.coverages[0].klToUniform, 0, accuracy: 1e-12)
  }

  /// With no sample near any mode there is no main mode (and no hop is counted).
  func testEmptyOccupancy() {
    var timeline = ModeTimeline(centers: centers, std: 0.1)
    timeline.record(step: 1, samples: Tensor([[10, 10], [-10, 3]]))
    timeline.record(step: 2, samples: Tensor([[10, 10], [-10, 3]]))
    XCTAssertEqual(timeline.mainModes.compactMap { $0 }, [])
    XCTAssertEqual(timeline.hops(from: 0), 0)
  }

  /// The averaged minibatch-discrimination feature is the summed one divided by N - 1, so it lies in [0, 1].
  func testAveragedMinibatchDiscrimination() {
    var rng = SeededGenerator(seed: 9)
    let summed = MinibatchDiscrimination(inputSize: 3, kernels: 2, kernelSize: 1, using: &rng)
    let averaged = MinibatchDiscrimination(inputSize: 3, kernels: 2, kernelSize: 1, averaged: true, using: &rng)
    averaged.weight = summed.weight
    let x = Tensor.randomNormal([5, 3], using: &rng)
    let a = summed(x), b = averaged(x)
    XCTAssertEqual(a.shape, [5, 5])
    for i in 0..<5 {
      for k in 3..<5 {
        XCTAssertEqual(b[i, k], a[i, k] / 4, accuracy: 1e-5)
        XCTAssertTrue((0...1).contains(b[i, k]))
      }
    }
    XCTAssertEqual(averaged(Tensor.ones([4, 3]))[0, 3], 1, accuracy: 1e-6)
    let d = ToyDiscriminator(sizes: [2, 8], countermeasure: .minibatchDiscrimination, minibatchKernels: 3,
                             minibatchKernelSize: 1, averagedCloseness: true, using: &rng)
    XCTAssertEqual(d.minibatch?.kernels, 3)
    XCTAssertEqual(d.head.inputSize, 11)
  }
}
