import Autograd

/// Tensor names of the reference PyTorch implementations, translated to this library's, so their state_dicts (saved
/// as safetensors, e.g. by `safetensors.torch.save_file(model.state_dict(), path)`) load directly:
///
/// - pytorch/examples `dcgan/main.py`: `Generator` and `Discriminator` keep their layers in `main`, an
///   `nn.Sequential` numbered as ours (`main.3.weight` is our `main.layers.3.weight`); batch norm's `running_mean`
///   and `running_var` are our `runningMean` and `runningVariance`; `num_batches_tracked` has no counterpart here.
/// - junyanz/pytorch-CycleGAN-and-pix2pix `ResnetGenerator` (`model.1` the 7x7 input convolution after its
///   reflection pad, `model.4` and `model.7` the downsampling, `model.{10+k}.conv_block.1` and `.conv_block.5` the
///   k-th residual block's convolutions, `model.{10+B}` and `model.{13+B}` the transposed convolutions for B blocks,
///   `model.{17+B}` the output convolution) and `NLayerDiscriminator` (its convolutions in order: `model.0`, `model.2`,
///   `model.5`, ..., the last one the output). Instance norm there has no parameters (affine=False); the running
///   statistics that old checkpoints carry for it are dropped, as the repository's own loader does.
/// - NVlabs/stylegan2-ada-pytorch training/networks.py `Generator` (`mapping.fc{i}` our `mappingNetwork.layers.{i}`,
///   `mapping.w_avg` our `averageW`; `synthesis.b{r}` our `synthesisNetwork.blocks.{log2 r - 2}` with `conv0`,
///   `conv1`, `torgb` (`toRGB`), `const`, `noise_strength` (`noiseStrength`) and `noise_const` [r, r] (our
///   `noiseConstant` [1, 1, r, r])) and `Discriminator` (`b{r}` our `blocks.{log2(R / r)}` for an R x R network, with
///   `fromrgb` (`fromRGB`), `conv0`, `conv1`, `skip`; `b4.conv`, `b4.fc`, `b4.out` our `epilogue.*`). The stored values
///   mean the same in both (weights at unit scale with the gains applied at run time, biases times the layer's
///   learning-rate multiplier); the fixed `resample_filter` buffers are dropped. The networks compute the reference's
///   function with `StyleGANResampling.reference`.
public enum ReferenceNames {
  /// Which reference network a state_dict is, told from its names.
  public enum Kind: String, Sendable {
    case dcgan, cycleGANGenerator, patchGAN, styleGANGenerator, styleGANDiscriminator
  }

  /// The reference network whose names `keys` are, or nil when they are not a reference state_dict.
  public static func kind(of keys: some Collection<String>) -> Kind? {
    let names = Set(keys)
    if names.contains("mapping.fc0.weight") || names.contains("synthesis.b4.const") { return .styleGANGenerator }
    if names.contains("b4.out.weight") { return .styleGANDiscriminator }
    if names.contains("main.0.weight") { return .dcgan }
    if names.contains("model.1.weight"), names.contains(where: { $0.contains(".conv_block.") }) {
      return .cycleGANGenerator
    }
    if names.contains("model.0.weight") { return .patchGAN }
    return nil
  }

  /// `tensors` under this library's names (for a module at the root; prefix them for a part of a larger one), or nil
  /// when the names are not a reference state_dict's.
  public static func ours(_ tensors: [String: Tensor]) -> [String: Tensor]? {
    guard let kind = kind(of: tensors.keys) else { return nil }
    var renamed: [String: Tensor] = [:]
    switch kind {
    case .dcgan:
      let fields = ["weight": "weight", "bias": "bias", "running_mean": "runningMean", "running_var": "runningVariance"]
      for (name, tensor) in tensors {
        let parts = name.split(separator: ".").map(String.init)
        guard parts.count == 3, parts[0] == "main", let field = fields[parts[2]] else { continue }
        renamed["main.layers.\(parts[1]).\(field)"] = tensor
      }
    case .cycleGANGenerator:
      let blocks = Set(tensors.keys.compactMap { name -> Int? in
        name.contains(".conv_block.") ? Int(name.split(separator: ".")[1]) : nil
      }).count
      var places = [1: "inputConv", 4: "downsampling.0", 7: "downsampling.1", 10 + blocks: "upsampling.0",
                    13 + blocks: "upsampling.1", 17 + blocks: "outputConv"]
      for k in 0..<blocks {
        places[10 + k] = "blocks.\(k)"
      }
      for (name, tensor) in tensors {
        let parts = name.split(separator: ".").map(String.init)
        guard parts.count >= 3, parts[0] == "model", let index = Int(parts[1]), let place = places[index],
              ["weight", "bias"].contains(parts.last!) else { continue }
        if parts.count == 5, parts[2] == "conv_block", let inner = Int(parts[3]), [1, 5].contains(inner) {
          renamed["\(place).\(inner == 1 ? "conv1" : "conv2").\(parts[4])"] = tensor
        } else if parts.count == 3, !place.hasPrefix("blocks") {
          renamed["\(place).\(parts[2])"] = tensor
        }
      }
    case .styleGANGenerator, .styleGANDiscriminator:
      renamed = styleGAN(tensors, generator: kind == .styleGANGenerator)
    case .patchGAN:
      let convolutions = tensors.filter { $0.key.hasPrefix("model.") && $0.key.hasSuffix(".weight") && $0.value.rank == 4 }
        .keys.compactMap { Int($0.split(separator: ".")[1]) }.sorted()
      for (position, index) in convolutions.enumerated() {
        let place = position == convolutions.count - 1 ? "outputConv" : "features.\(position)"
        for field in ["weight", "bias"] {
          if let tensor = tensors["model.\(index).\(field)"] { renamed["\(place).\(field)"] = tensor }
        }
      }
    }
    return renamed
  }

  /// A reference StyleGAN2 state_dict under our names; names that are not the reference's pass through unchanged
  /// (so that loading names them as unexpected).
  static func styleGAN(_ tensors: [String: Tensor], generator: Bool) -> [String: Tensor] {
    let fields = ["noise_strength": "noiseStrength", "noise_const": "noiseConstant", "torgb": "toRGB",
                  "fromrgb": "fromRGB", "w_avg": "averageW"]
    func log2(_ value: Int) -> Int { value.trailingZeroBitCount }
    func resolution(_ part: Substring) -> Int? { part.first == "b" ? Int(part.dropFirst()) : nil }
    let top = tensors.keys.compactMap { name in name.split(separator: ".").first.flatMap(resolution) }.max() ?? 4
    var renamed: [String: Tensor] = [:]
    for (name, tensor) in tensors where !name.hasSuffix("resample_filter") {
      var parts = name.split(separator: ".").map { fields[String($0)] ?? String($0) }
      var value = tensor
      if generator, parts.count >= 2, parts[0] == "mapping" {
        parts[0] = "mappingNetwork"
        if parts[1].hasPrefix("fc"), let index = Int(parts[1].dropFirst(2)) {
          parts[1] = "layers.\(index)"
        }
      } else if generator, parts.count >= 3, parts[0] == "synthesis", let r = resolution(Substring(parts[1])) {
        parts[0] = "synthesisNetwork"
        parts[1] = "blocks.\(log2(r) - 2)"
        if parts.last == "noiseConstant", tensor.rank == 2 { value = tensor.reshaped(to: [1, 1] + tensor.shape) }
      } else if !generator, parts.count >= 2, let r = resolution(Substring(parts[0])) {
        parts[0] = r == 4 ? "epilogue" : "blocks.\(log2(top) - log2(r))"
      } else {
        renamed[name] = tensor
        continue
      }
      renamed[parts.joined(separator: ".")] = value
    }
    return renamed
  }
}
