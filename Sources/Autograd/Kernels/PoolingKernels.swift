// The pooling and upsampling loops behind Ops/Pooling.swift.

extension Kernels {
  static func avgPool(_ x: [Float], shape: [Int], size: Int) -> ([Int], [Float]) {
    let rank = shape.count
    let h = shape[rank - 2], w = shape[rank - 1], ho = h / size, wo = w / size
    let planes = x.count / Swift.max(h * w, 1)
    var out = [Float](repeating: 0, count: planes * ho * wo)
    let scale = 1 / Float(size * size)
    x.withUnsafeBufferPointer { px in
      out.withUnsafeMutableBufferPointer { po in
        for plane in 0..<planes {
          let src = px.baseAddress! + plane * h * w, dst = po.baseAddress! + plane * ho * wo
          for y in 0..<h {
            let row = dst + (y / size) * wo, line = src + y * w
            for xx in 0..<w { row[xx / size] += line[xx] }
          }
          for i in 0..<(ho * wo) { dst[i] *= scale }
        }
      }
    }
    var newShape = shape
    newShape[rank - 2] = ho
    newShape[rank - 1] = wo
    return (newShape, out)
  }

  static func upsample(_ x: [Float], shape: [Int], factor: Int) -> ([Int], [Float]) {
    let rank = shape.count
    let h = shape[rank - 2], w = shape[rank - 1], ho = h * factor, wo = w * factor
    let planes = x.count / Swift.max(h * w, 1)
    var out = [Float](repeating: 0, count: planes * ho * wo)
    x.withUnsafeBufferPointer { px in
      out.withUnsafeMutableBufferPointer { po in
        for plane in 0..<planes {
          let src = px.baseAddress! + plane * h * w, dst = po.baseAddress! + plane * ho * wo
          for y in 0..<ho {
            let line = src + (y / factor) * w, row = dst + y * wo
            for xx in 0..<wo { row[xx] = line[xx / factor] }
          }
        }
      }
    }
    var newShape = shape
    newShape[rank - 2] = ho
    newShape[rank - 1] = wo
    return (newShape, out)
  }
}
