import Foundation

/// One Dirac-GAN experiment: a game, an update rule and the two learning rates, the trajectory they produce from a
/// start, and the linear theory's prediction for it. Lesson 09 compares the measured growth rate of the distance to
/// the equilibrium with ln ρ, ρ the spectral radius of the update matrix; keeping both here lets a test check the
/// same comparison the lesson shows.
public struct DiracTrajectory: Sendable {
  public let game: DiracGAN
  public let rule: UpdateRule
  public let generatorRate: Float
  public let discriminatorRate: Float
  /// The states from the start (index 0) to the last step.
  public let states: [DiracState]
  /// The linearized update at the equilibrium (I + hJ for simultaneous steps).
  public let matrix: Matrix2

  public init(
    _ game: DiracGAN, rule: UpdateRule, generatorRate: Float, discriminatorRate: Float, start: DiracState, steps: Int
  ) {
    self.game = game
    self.rule = rule
    self.generatorRate = generatorRate
    self.discriminatorRate = discriminatorRate
    states = game.trajectory(
      from: start, steps: steps, rule: rule, generatorLearningRate: generatorRate,
      discriminatorLearningRate: discriminatorRate)
    matrix = game.updateMatrix(
      rule: rule, generatorLearningRate: Double(generatorRate), discriminatorLearningRate: Double(discriminatorRate))
  }

  /// Distances to the equilibrium; with two learning rates, in the stretched norm whose orbits are circles.
  public var distances: [Double] {
    states.map {
      $0.scaledDistanceToEquilibrium(generatorLearningRate: generatorRate, discriminatorLearningRate: discriminatorRate)
    }
  }

  /// The distance at the end over the distance at the start.
  public var distanceRatio: Double { distances.last! / distances[0] }
  /// The measured growth rate of the distance per step (a least-squares slope of its logarithm).
  public var measuredRate: Double { logGrowthRate(distances) }
  /// The linear theory's growth rate per step, ln ρ.
  public var predictedRate: Double { log(matrix.spectralRadius) }
  /// |measured − predicted| / |predicted|.
  public var relativeError: Double { Swift.abs(measuredRate - predictedRate) / Swift.abs(predictedRate) }
}

extension DiracGAN {
  /// The Jacobian of the training field at the equilibrium, measured from the engine's gradients by central
  /// differences with step `e`: a check of the autodiff against `jacobianAtEquilibrium`'s closed form.
  public func measuredJacobianAtEquilibrium(step e: Float = 1e-2) -> Matrix2 {
    let right = velocity(theta: e, psi: 0), left = velocity(theta: -e, psi: 0)
    let up = velocity(theta: 0, psi: e), down = velocity(theta: 0, psi: -e)
    let scale = Double(2 * e)
    return Matrix2(
      Double(right.theta - left.theta) / scale, Double(up.theta - down.theta) / scale,
      Double(right.psi - left.psi) / scale, Double(up.psi - down.psi) / scale)
  }

  /// The direction of the training field on a `count` × `count` grid over [−extent, extent]² that avoids the axes,
  /// as arrows of equal length (0.6 of the grid spacing). With two learning rates a step moves along
  /// (h_G v_θ, h_D v_ψ), so the arrows follow that field.
  public func fieldDirections(extent: Float, count: Int, generatorRate: Float = 1, discriminatorRate: Float = 1)
    -> (x: [Float], y: [Float], dx: [Float], dy: [Float])
  {
    var x: [Float] = [], y: [Float] = [], dx: [Float] = [], dy: [Float] = []
    let spacing = 2 * extent / Float(count)
    for i in 0..<count {
      for j in 0..<count {
        let theta = -extent + (Float(i) + 0.5) * spacing, psi = -extent + (Float(j) + 0.5) * spacing
        let v = velocity(theta: theta, psi: psi)
        let (vx, vy) = (v.theta * generatorRate, v.psi * discriminatorRate)
        let length = (vx * vx + vy * vy).squareRoot()
        guard length > 0 else { continue }
        x.append(theta)
        y.append(psi)
        dx.append(vx / length * spacing * 0.6)
        dy.append(vy / length * spacing * 0.6)
      }
    }
    return (x, y, dx, dy)
  }
}

extension Matrix2 {
  /// The largest absolute difference between corresponding entries.
  public func largestDifference(to other: Matrix2) -> Double {
    [a - other.a, b - other.b, c - other.c, d - other.d].map { Swift.abs($0) }.max()!
  }
}

extension Complex {
  /// A pair of eigenvalues as text: `0.1 ± 0.5i` for a conjugate pair, `-0.2, -0.1` for two real ones.
  public static func pairText(_ pair: (Complex, Complex)) -> String {
    func number(_ x: Double) -> String { String(format: "%.4g", x) }
    if pair.0.imaginary == 0 { return "\(number(pair.0.real)), \(number(pair.1.real))" }
    return "\(number(pair.0.real)) ± \(number(Swift.abs(pair.0.imaginary)))i"
  }
}
