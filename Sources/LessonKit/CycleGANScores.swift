import Autograd
import Datasets
import GAN

// Lesson 07's two toy translations measured with fixed judges: points (ring ↔ square) and shapes (plain ↔
// striped). The judges never see the GAN's losses, so they say what the translations look like, not how well the
// players did against each other.

/// How a point model translates: G(ring) against the square, F(square) against the ring, and both round trips.
public struct PointTranslationScores: Sendable {
  /// Mean distance of G(a) to B's curve and of F(b) to A's.
  public let toB: Double, toA: Double
  /// Mean |F(G(a)) − a| and |G(F(b)) − b| (Euclidean, per point).
  public let cycleA: Double, cycleB: Double

  public init(_ model: CycleGAN, testA: Tensor, testB: Tensor, curveA: any ToyCurve, curveB: any ToyCurve) {
    let gA = model.translate(testA, aToB: true), fB = model.translate(testB, aToB: false)
    toB = mean(curveB.distance(to: gA))
    toA = mean(curveA.distance(to: fB))
    cycleA = mean((model.translate(gA, aToB: false) - testA).rowNorms(epsilon: 0).scalars)
    cycleB = mean((model.translate(fB, aToB: true) - testB).rowNorms(epsilon: 0).scalars)
  }
}

/// How a shape model translates, by the fixed judges of `ToyShapeImages` (see `ToyImageJudges.swift`).
public struct ShapeTranslationScores: Sendable {
  /// Mean |F(G(a)) − a| and |G(F(b)) − b| per pixel.
  public let cycleA: Double, cycleB: Double
  /// Mean IoU of G(a)'s shape with a's true mask, and of F(b)'s with b's.
  public let iouAToB: Double, iouBToA: Double
  /// Shares of G(a) with texture inside the shape, of G(a) judged striped, and of F(b) judged plain.
  public let texturedAToB: Double, stripedAToB: Double, plainBToA: Double

  public init(_ model: CycleGAN, testA: ToyImageBatch, testB: ToyImageBatch, domains: ToyShapeImages) {
    let gA = model.translate(testA.images, aToB: true), fB = model.translate(testB.images, aToB: false)
    cycleA = Double(meanAbsoluteError(model.translate(gA, aToB: false), testA.images).scalar)
    cycleB = Double(meanAbsoluteError(model.translate(fB, aToB: true), testB.images).scalar)
    iouAToB = domains.meanShapeIoU(gA, masks: testA.masks)
    iouBToA = domains.meanShapeIoU(fB, masks: testB.masks)
    texturedAToB = domains.shareTextured(gA)
    stripedAToB = domains.shareStriped(gA)
    plainBToA = domains.sharePlain(fB)
  }
}

private func mean(_ values: [Float]) -> Double {
  values.isEmpty ? .nan : values.map(Double.init).reduce(0, +) / Double(values.count)
}
