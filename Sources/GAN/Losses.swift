import Autograd

/// The adversarial objectives the course compares. Each gives the discriminator's (critic's) loss on its raw
/// outputs for real and generated samples, and the generator's loss on the critic's outputs for generated samples.
/// "Logits" are raw scores: D(x) = σ(logit) for the probabilistic losses, the score itself for Wasserstein and hinge.
public enum AdversarialLoss: String, CaseIterable, Sendable {
  /// Goodfellow et al. 2014's game: D maximizes log D(x) + log(1 - D(G(z))); G minimizes log(1 - D(G(z))),
  /// whose gradient vanishes when D confidently rejects the fakes ("saturating").
  case minimax
  /// The same D; G maximizes log D(G(z)) instead: the same fixed point, strong gradients early on.
  case nonSaturating = "non-saturating"
  /// Arjovsky et al. 2017: the critic maximizes E[f(x)] - E[f(G(z))] (needs a Lipschitz constraint: clipping or a
  /// gradient penalty); G maximizes E[f(G(z))].
  case wasserstein
  /// Mao et al. 2017 (LSGAN), in CycleGAN's form: D minimizes (D(x) - 1)² + D(G(z))², over 2; G minimizes (D(G(z)) - 1)².
  case leastSquares = "least-squares"
  /// The hinge loss (Lim & Ye 2017; SAGAN, BigGAN): D minimizes relu(1 - D(x)) + relu(1 + D(G(z))); G maximizes D(G(z)).
  case hinge

  /// The discriminator's loss, to be minimized.
  public func discriminatorLoss(real: Tensor, fake: Tensor) -> Tensor {
    switch self {
    case .minimax, .nonSaturating:
      return binaryCrossEntropy(logits: real, target: 1) + binaryCrossEntropy(logits: fake, target: 0)
    case .wasserstein:
      return fake.mean() - real.mean()
    case .leastSquares:
      return 0.5 * (pow(real - 1, 2).mean() + pow(fake, 2).mean())
    case .hinge:
      return relu(1 - real).mean() + relu(1 + fake).mean()
    }
  }

  /// The generator's loss, to be minimized.
  public func generatorLoss(fakeLogits fake: Tensor) -> Tensor {
    switch self {
    case .minimax:
      // E[log(1 - σ(x))] = -E[softplus(x)].
      return -softplus(fake).mean()
    case .nonSaturating:
      return binaryCrossEntropy(logits: fake, target: 1)
    case .wasserstein, .hinge:
      return -fake.mean()
    case .leastSquares:
      return pow(fake - 1, 2).mean()
    }
  }

  /// Whether D's outputs are probabilities through a sigmoid (true) or unbounded scores.
  public var isProbabilistic: Bool { self == .minimax || self == .nonSaturating }
}

/// The discriminator's loss at the game's equilibrium for the minimax/non-saturating GAN: D = 1/2 everywhere gives
/// -log(1/2) on each half, 2 ln 2 ≈ 1.386 in all.
public let equilibriumDiscriminatorLoss: Float = 2 * 0.693_147_18
