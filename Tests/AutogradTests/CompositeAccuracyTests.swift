import Foundation
import XCTest

@testable import Autograd

/// tanh and softplus to full Float32 precision, values and first derivatives, against Double references, at tiny,
/// moderate and large |x| (the forms before expm1/log1p gave tanh(1e-8) = 0 and softplus(x < -17) = 0).
final class CompositeAccuracyTests: XCTestCase {
  static let magnitudes: [Float] = [1e-8, 1e-6, 1e-3, 0.5, 3, 15, 20, 40]
  static let points: [Float] = magnitudes + magnitudes.map { -$0 } + [-17, -30, -100, 100]

  /// The error in units in the last place of the reference rounded to Float32. One correctly rounded libm call is
  /// within 0.5 ulp, glibc's expm1f/log1pf/expf within 1; the composites chain three to five such steps (the
  /// exponential, the add, the divide, the mask product), so their errors add up to a few ulp. Measured here: at most
  /// 1.5 ulp for values (tanh near 3) and 1.2 for derivatives. For a reference below Float32's normal range (softplus(-100) and
  /// σ(-100), about 3.7e-44) the ulp is the subnormal spacing, so the same bound is an absolute one there.
  static func ulps(_ value: Float, _ reference: Double) -> Double {
    let rounded = Float(reference)
    return Swift.abs(Double(value) - reference) / Double(rounded.ulp)
  }

  static let valueBound = 3.0
  static let derivativeBound = 4.0

  func check(_ name: String, _ f: (Tensor) -> Tensor, value: (Double) -> Double, derivative: (Double) -> Double) {
    var worstValue = 0.0, worstDerivative = 0.0
    for point in Self.points {
      let x = Tensor(point, requiresGrad: true)
      let y = f(x)
      let dy = gradient(of: y, wrt: x)
      let exact = Double(point)
      let valueError = Self.ulps(y.scalar, value(exact)), derivativeError = Self.ulps(dy.scalar, derivative(exact))
      worstValue = Swift.max(worstValue, valueError)
      worstDerivative = Swift.max(worstDerivative, derivativeError)
      XCTAssertLessThanOrEqual(valueError, Self.valueBound,
                               "\(name)(\(point)) = \(y.scalar), reference \(value(exact))")
      XCTAssertLessThanOrEqual(derivativeError, Self.derivativeBound,
                               "\(name)'(\(point)) = \(dy.scalar), reference \(derivative(exact))")
    }
    print("\(name): worst value error \(worstValue) ulp, worst derivative error \(worstDerivative) ulp")
  }

  func testTanhToFullPrecision() {
    // sech² x = 4e^-2|x| / (1 + e^-2|x|)² (1 - tanh² is 0 in Double too at |x| = 40).
    check("tanh", tanh, value: Foundation.tanh) { x in
      let e = Foundation.exp(-2 * Swift.abs(x))
      return 4 * e / ((1 + e) * (1 + e))
    }
  }

  func testSoftplusToFullPrecision() {
    check("softplus", softplus, value: { Swift.max($0, 0) + Foundation.log1p(Foundation.exp(-Swift.abs($0))) }) { x in
      1 / (1 + Foundation.exp(-x))
    }
  }

  /// σ = e^-softplus(-x) inherits softplus' absolute error in the exponent, which becomes a relative error of the
  /// result of |softplus(-x)| ulp-of-softplus: about 8 ulp at x = -100 (softplus(100) = 100 has a 2^-17 spacing).
  /// This pins that it stays that close and that its far tail is no longer 0.
  func testSigmoidStaysAccurate() {
    for point in Self.points {
      let x = Tensor(point, requiresGrad: true)
      let y = sigmoid(x)
      let reference = 1 / (1 + Foundation.exp(-Double(point)))
      XCTAssertLessThanOrEqual(Swift.abs(Double(y.scalar) - reference), 1e-5 * reference + Double(Float.leastNonzeroMagnitude),
                               "σ(\(point)) = \(y.scalar), reference \(reference)")
      // σ' = e^-|x| / (1 + e^-|x|)², without the cancellation of 1 - σ in Double.
      let e = Foundation.exp(-Swift.abs(Double(point))), derivative = e / ((1 + e) * (1 + e))
      let d = gradient(of: y, wrt: x).scalar
      XCTAssertLessThanOrEqual(Swift.abs(Double(d) - derivative), 1e-5 * derivative + Double(Float.leastNonzeroMagnitude),
                               "σ'(\(point)) = \(d), reference \(derivative)")
    }
  }

  /// The new primitives themselves, far from 0 and near it.
  func testExpm1AndLog1p() {
    for v: Float in [1e-8, -1e-6, 0.25, -3, -40, 10] {
      XCTAssertLessThanOrEqual(Self.ulps(expm1(Tensor(v)).scalar, Foundation.expm1(Double(v))), 1, "expm1(\(v))")
    }
    for v: Float in [1e-8, -1e-6, 0.25, -0.5, 3, 1e10] {
      XCTAssertLessThanOrEqual(Self.ulps(log1p(Tensor(v)).scalar, Foundation.log1p(Double(v))), 1, "log1p(\(v))")
    }
  }

  /// tanh and softplus at ±inf: no NaN from inf * 0.
  func testInfinities() {
    XCTAssertEqual(tanh(Tensor([-.infinity, .infinity])).scalars, [-1, 1])
    XCTAssertEqual(softplus(Tensor([-.infinity, .infinity])).scalars, [0, .infinity])
  }
}
