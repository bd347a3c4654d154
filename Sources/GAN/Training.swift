import NN

extension Optimizer {
  /// One update of this optimizer's model on the gradient of `loss`, computed for this model's parameters only.
  ///
  /// This is how a GAN freezes the other network: in the generator's step the loss runs through the discriminator,
  /// but only the generator's gradients are computed (the discriminator's weights get none, and their `.grad` is
  /// left as it was), like PyTorch's `D.requires_grad_(False)` or Swift for TensorFlow's `gradient(at: generator)`.
  /// Returns the loss's value.
  @discardableResult
  public func minimize(_ loss: Tensor) -> Float {
    let parameters = self.parameters
    let grads = reachableGradients(of: loss, wrt: parameters)
    for (parameter, gradient) in zip(parameters, grads) { parameter.grad = gradient }
    step()
    return loss.scalar
  }
}
