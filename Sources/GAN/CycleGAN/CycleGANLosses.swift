import Autograd

// CycleGAN's objective (Zhu et al. 2017, eq. 3 and section 5.2), for G: A -> B, F: B -> A and discriminators D_B
// (is this a real B?) and D_A (is this a real A?):
//
//   L = L_GAN(G, D_B) + L_GAN(F, D_A) + λ L_cyc(G, F) + λ_idt L_idt(G, F)
//   L_cyc = E|F(G(a)) - a|₁ + E|G(F(b)) - b|₁            translate there and back: you should get the input back
//   L_idt = E|G(b) - b|₁ + E|F(a) - a|₁                  a B image given to G is already a B image: leave it alone
//
// with λ = 10 and λ_idt = 0.5 λ = 5. L_GAN is the least-squares loss (`AdversarialLoss.leastSquares`): D minimizes
// ½[(D(real) - 1)² + D(fake)²] and the generator (D(fake) - 1)², averaged over the patches of the PatchGAN map.
//
// Without L_cyc nothing ties G(a) to a: any G whose outputs look like B images wins the adversarial game, including
// one that ignores its input's content. The cycle loss forbids that, because F can only undo G if G kept enough of
// a to undo.

/// The cycle-consistency term of one direction: `weight` · mean |reconstructed - original| (the L1 distance, as
/// PyTorch's `L1Loss`), with `reconstructed` = F(G(original)). The default weight is CycleGAN's λ = 10.
public func cycleConsistencyLoss(reconstructed: Tensor, original: Tensor, weight: Float = 10) -> Tensor {
  precondition(reconstructed.shape == original.shape,
               "cycleConsistencyLoss: reconstruction \(reconstructed.shape) and original \(original.shape) differ")
  return weight * meanAbsoluteError(reconstructed, original)
}

/// The identity term of one direction: `weight` · mean |translated - original|, with `translated` = G(original) for
/// an `original` already in G's target domain. The default weight is 0.5 λ = 5, as CycleGAN's
/// `--lambda_identity 0.5`. It keeps colors (the paper's painting -> photo experiments) from drifting.
public func identityLoss(translated: Tensor, original: Tensor, weight: Float = 5) -> Tensor {
  precondition(translated.shape == original.shape,
               "identityLoss: translation \(translated.shape) and original \(original.shape) differ")
  return weight * meanAbsoluteError(translated, original)
}
