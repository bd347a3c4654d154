import XCTest

@testable import Autograd
@testable import Datasets

final class BatchingTests: XCTestCase {
  /// Ten examples of shape [2, 3]; example i holds the values 100 i + 0...5, so a row tells which example it is.
  let examples = Tensor(shape: [10, 2, 3], scalars: (0..<10).flatMap { i in (0..<6).map { Float(100 * i + $0) } })
  let labels = (0..<10).map { $0 % 3 }

  func checkRows(_ batch: Batch, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(batch.examples.shape, [batch.indices.count, 2, 3], file: file, line: line)
    for (position, index) in batch.indices.enumerated() {
      XCTAssertEqual(
        Array(batch.examples.scalars[(position * 6)..<(position * 6 + 6)]), (0..<6).map { Float(100 * index + $0) },
        file: file, line: line)
    }
    XCTAssertEqual(batch.labels, batch.indices.map { labels[$0] }, file: file, line: line)
  }

  func testEpochsVisitEveryExampleOnce() {
    var loader = DataLoader(examples: examples, labels: labels, batchSize: 4, seed: 1)
    XCTAssertEqual(loader.batchesPerEpoch, 3)
    var orders: [[Int]] = []
    for _ in 0..<3 {
      let batches = Array(loader.epoch())
      XCTAssertEqual(batches.map { $0.indices.count }, [4, 4, 2])
      batches.forEach { checkRows($0) }
      let order = batches.flatMap(\.indices)
      XCTAssertEqual(order.sorted(), Array(0..<10))
      orders.append(order)
    }
    XCTAssertNotEqual(orders[0], orders[1], "each epoch draws a new order")
    // The same seed repeats the same orders.
    var again = DataLoader(examples: examples, labels: labels, batchSize: 4, seed: 1)
    XCTAssertEqual(again.epoch().order, orders[0])
  }

  func testDropLastAndFixedOrder() {
    var dropping = DataLoader(examples: examples, batchSize: 4, dropLast: true, seed: 2)
    XCTAssertEqual(dropping.batchesPerEpoch, 2)
    let batches = Array(dropping.epoch())
    XCTAssertEqual(batches.map { $0.indices.count }, [4, 4])
    XCTAssertNil(batches[0].labels)
    var ordered = DataLoader(examples: examples, labels: labels, batchSize: 3, shuffle: false, seed: 2)
    let inOrder = Array(ordered.epoch())
    XCTAssertEqual(inOrder.map(\.indices), [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]])
    inOrder.forEach { checkRows($0) }
  }

  func testInfiniteSamplerWalksShuffledEpochs() {
    var sampler = InfiniteBatchSampler(examples: examples, labels: labels, batchSize: 4, seed: 3)
    var counts = [Int](repeating: 0, count: 10)
    for step in 0..<500 {
      let batch = sampler.next()
      checkRows(batch)
      XCTAssertEqual(Set(batch.indices).count, 4, "a batch never repeats an example")
      batch.indices.forEach { counts[$0] += 1 }
      // Two batches per epoch (the remaining 2 wait for the next order).
      XCTAssertEqual(sampler.epochsStarted, step / 2 + 1)
    }
    // 2000 draws over 10 examples: each about 200 (binomial-like spread, sd about 6.3 per example; 35 is 5.5 of them).
    XCTAssertTrue(counts.allSatisfy { abs($0 - 200) < 35 }, "\(counts)")
  }

  func testExamplesAtIndices() {
    let picked = examples.examples(at: [9, 0, 9])
    XCTAssertEqual(picked.shape, [3, 2, 3])
    XCTAssertEqual(Array(picked.scalars[0..<6]), [900, 901, 902, 903, 904, 905])
    XCTAssertEqual(Array(picked.scalars[6..<12]), [0, 1, 2, 3, 4, 5])
    XCTAssertEqual(examples.examples(at: []).shape, [0, 2, 3])
  }

  func testLoaderOverMNIST() throws {
    let test = try Dataset.mnist(directory: TestSupport.mnistDirectory).load(.test, limit: 1000)
    var loader = DataLoader(test, batchSize: 64, dropLast: true, seed: 4)
    var seen = 0
    for batch in loader.epoch() {
      XCTAssertEqual(batch.examples.shape, [64, 1, 28, 28])
      XCTAssertEqual(batch.labels!, batch.indices.map { test.labels[$0] })
      seen += 64
    }
    XCTAssertEqual(seen, 1000 / 64 * 64)
    var sampler = InfiniteBatchSampler(test, batchSize: 32, seed: 5)
    XCTAssertEqual(sampler.next().examples.shape, [32, 1, 28, 28])
  }
}
