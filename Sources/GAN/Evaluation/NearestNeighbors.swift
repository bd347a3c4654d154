import Autograd

/// One match of a nearest-neighbor search: the row of the reference set and its Euclidean distance to the query.
public struct Neighbor: Sendable, Equatable {
  public let index: Int
  public let distance: Float

  public init(index: Int, distance: Float) {
    self.index = index
    self.distance = distance
  }
}

/// The `count` nearest rows of `references` to each row of `queries`, by Euclidean (L2) distance, nearest first:
/// the memorization check of a GAN lesson ("is this sample a copy of a training image?").
///
/// Rows are flattened, so any shapes [N, ...] and [M, ...] with the same row size work: images [N, 1, 28, 28] compare
/// in pixel space; the classifier's features [N, 128] (`MNISTClassifier.outputs(for:).features`) compare by content
/// rather than by exact stroke position. The squared distances come from one matrix product per block of
/// references, ‖q - r‖² = ‖q‖² + ‖r‖² - 2 q·r, so 60,000 training images are searched in about a second; blocks of
/// `blockSize` references bound the memory to queries x blockSize distances.
public func nearestNeighbors(of queries: Tensor, in references: Tensor, count: Int = 1, blockSize: Int = 4096)
  -> [[Neighbor]]
{
  precondition(queries.rank >= 1 && references.rank >= 1, "nearestNeighbors: queries and references need a batch axis")
  let q = queries.shape[0], m = references.shape[0]
  let rowSize = q == 0 ? 0 : queries.count / q
  precondition(
    m == 0 || references.count / m == rowSize,
    "nearestNeighbors: query rows \(queries.shape) and reference rows \(references.shape) differ in size")
  precondition(count >= 1 && count <= m, "nearestNeighbors: count \(count) must be between 1 and the \(m) references")
  precondition(blockSize >= 1, "nearestNeighbors: blockSize must be at least 1, got \(blockSize)")
  guard q > 0 else { return [] }

  let flatQueries = Tensor(shape: [q, rowSize], scalars: queries.scalars)
  let queryNorms = squaredRowNorms(queries.scalars, rows: q, rowSize: rowSize)
  var best = [[Neighbor]](repeating: [], count: q)
  withoutGradients {
    var start = 0
    while start < m {
      let end = Swift.min(start + blockSize, m)
      let block = Array(references.scalars[(start * rowSize)..<(end * rowSize)])
      let referenceNorms = squaredRowNorms(block, rows: end - start, rowSize: rowSize)
      let products = matmul(flatQueries, Tensor(shape: [end - start, rowSize], scalars: block), transposeB: true)
      products.scalars.withUnsafeBufferPointer { dot in
        for i in 0..<q {
          for j in 0..<(end - start) {
            // Rounding can make a zero distance slightly negative.
            let squared = Swift.max(queryNorms[i] + referenceNorms[j] - 2 * dot[i * (end - start) + j], 0)
            insert(Neighbor(index: start + j, distance: squared), into: &best[i], keeping: count)
          }
        }
      }
      start = end
    }
  }
  // The expansion loses digits to cancellation (‖q‖² ~ 800 for an image); the reported distances are recomputed
  // directly, so an exact copy is at distance 0.
  return queries.scalars.withUnsafeBufferPointer { x in
    references.scalars.withUnsafeBufferPointer { r in
      best.enumerated().map { i, row in
        row.map { neighbor in
          var sum: Float = 0
          for k in 0..<rowSize {
            let difference = x[i * rowSize + k] - r[neighbor.index * rowSize + k]
            sum += difference * difference
          }
          return Neighbor(index: neighbor.index, distance: sum.squareRoot())
        }
        .sorted { ($0.distance, $0.index) < ($1.distance, $1.index) }
      }
    }
  }
}

/// Inserts `candidate` into `list` (sorted by distance, then index) if it is among the `count` nearest.
private func insert(_ candidate: Neighbor, into list: inout [Neighbor], keeping count: Int) {
  if list.count == count, let last = list.last, last.distance <= candidate.distance { return }
  var position = list.count
  while position > 0 && list[position - 1].distance > candidate.distance { position -= 1 }
  list.insert(candidate, at: position)
  if list.count > count { list.removeLast() }
}

private func squaredRowNorms(_ values: [Float], rows: Int, rowSize: Int) -> [Float] {
  values.withUnsafeBufferPointer { x in
    (0..<rows).map { r in
      var sum: Float = 0
      for j in 0..<rowSize { sum += x[r * rowSize + j] * x[r * rowSize + j] }
      return sum
    }
  }
}

/// Is a generator copying its training set? Its samples' pixel distance to their nearest training image, against
/// the same distance for real test images: a copying generator's samples sit much closer than new real digits do
/// (a copy is at 0), a generator that learned the distribution sits about as far.
public struct MemorizationCheck: Sendable {
  /// The nearest training images of each sample, nearest first.
  public let neighbors: [[Neighbor]]
  /// Mean distance from a sample to its nearest training image, and from a test image to its nearest one.
  public let meanSampleDistance: Double, meanRealDistance: Double
  /// meanSampleDistance / meanRealDistance: near 1 for a generator that does not copy.
  public var ratio: Double { meanSampleDistance / meanRealDistance }

  /// - Parameters: samples and test images [N, ...] (as many of each), the training images searched, and how many
  ///   neighbors of each sample to keep for showing.
  public init(samples: Tensor, test: Tensor, train: Tensor, neighbors count: Int = 3) {
    neighbors = nearestNeighbors(of: samples, in: train, count: count)
    let real = nearestNeighbors(of: test, in: train, count: 1)
    meanSampleDistance = neighbors.map { Double($0[0].distance) }.reduce(0, +) / Double(neighbors.count)
    meanRealDistance = real.map { Double($0[0].distance) }.reduce(0, +) / Double(real.count)
  }

  /// Rows of the grid that shows it: each sample, then its neighbors from `train`.
  public func gridImages(samples: Tensor, train: Tensor) -> Tensor {
    var rows: [Tensor] = []
    for (i, found) in neighbors.enumerated() {
      rows.append(samples.sliced(axis: 0, i..<(i + 1)).detached())
      for n in found { rows.append(train.sliced(axis: 0, n.index..<(n.index + 1)).detached()) }
    }
    return concatenate(rows, alongAxis: 0)
  }
}

/// Noise for `rows` straight walks through latent space, `columns` evenly spaced points each, from row r of `from`
/// to row r of `to` (both [rows, size]): [rows · columns, size], row after row. A generator that learned a
/// continuous space turns each walk into a smooth morph.
public func latentWalks(from start: Tensor, to end: Tensor, columns: Int) -> Tensor {
  precondition(start.shape == end.shape && start.rank == 2 && columns >= 2, "latentWalks: needs two [rows, size]")
  var points: [Tensor] = []
  for row in 0..<start.shape[0] {
    let a = start.sliced(axis: 0, row..<(row + 1)), b = end.sliced(axis: 0, row..<(row + 1))
    for t in 0..<columns {
      let s = Float(t) / Float(columns - 1)
      points.append((a * (1 - s) + b * s).detached())
    }
  }
  return concatenate(points, alongAxis: 0)
}
