import Autograd
import NN

/// A copy of an MLP (a `Sequential` of `Linear` layers and activations, as `multilayerPerceptron` builds) with every
/// `Linear` layer wrapped in spectral normalization (Miyato et al. 2018): each weight is divided by its largest
/// singular value on every forward pass, so each layer — and, with 1-Lipschitz activations such as (leaky) ReLU, the
/// whole network — is 1-Lipschitz. The layers are shared, not copied: the result trains the same `Linear` objects,
/// which start from the weights `network` has, so a normalized and a plain discriminator can start alike.
///
/// A discriminator that cannot be steeper than slope 1 cannot answer a small move of the generator with a large
/// change of its gradient: the feedback loop that makes the generator and discriminator chase each other is damped.
public func spectrallyNormalized(_ network: Sequential, powerIterations: Int = 1, using generator: inout SeededGenerator)
  -> Sequential
{
  let layers: [any Layer] = network.layers.map { layer in
    if let linear = layer as? Linear {
      return SpectralNorm(linear, powerIterations: powerIterations, using: &generator)
    }
    return layer
  }
  return Sequential(layers)
}
