import Autograd

/// The minibatch standard-deviation feature (Karras et al. 2018, ProGAN; kept in StyleGAN): the discriminator sees
/// how varied the batch is, so a generator that collapses to one output is easy to spot.
///
/// For images [N, C, H, W] the batch is cut into groups of `groupSize` (every `N / groupSize`-th sample together,
/// as in the reference code); within each group the standard deviation of every feature is taken, averaged to one
/// number per group, and appended as an extra constant channel. For feature vectors [N, F] it appends one column.
public func minibatchStandardDeviation(_ x: Tensor, groupSize: Int = 4) -> Tensor {
  let n = x.shape[0]
  let g = min(groupSize, n)
  precondition(g >= 1 && n % g == 0, "minibatchStandardDeviation: batch \(n) is not divisible by group size \(g)")
  let m = n / g
  let features = Array(x.shape.dropFirst())
  let grouped = x.reshaped(to: [g, m] + features)  // sample i is in group i % m
  let centered = grouped - grouped.mean(alongAxes: 0)
  let std = sqrt(pow(centered, 2).mean(alongAxes: 0) + 1e-8)  // [1, m, features...]
  let perGroup = std.mean(alongAxes: Array(2..<(2 + features.count)))  // [1, m, 1, ...]
  var tileShape = [g, m] + features
  tileShape[2] = 1
  let tiled = perGroup.broadcasted(to: tileShape).reshaped(to: [n, 1] + features.dropFirst())
  return concatenate([x, tiled], alongAxis: 1)
}
