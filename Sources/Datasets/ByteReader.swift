import CZlib
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads a file's content front to back, whether it is stored plain or gzipped.
///
/// Gzip is recognized by its two magic bytes (0x1f 0x8b), not by the file name, so `train-images-idx3-ubyte`
/// may be either. The compressed file is read into memory once; zlib's `inflate` then decompresses only as many
/// bytes as are asked for, so reading the first thousand images of a gzipped file costs a thousand images' work.
/// zlib checks the CRC-32 at the end of each gzip member, so a damaged stream is an error, not silently bad pixels.
final class ByteReader {
  /// The path, for error messages.
  let file: String
  /// Whether the content is gzip-compressed.
  let isGzip: Bool
  /// The file as stored on disk.
  private let stored: UnsafeMutableBufferPointer<UInt8>
  /// Plain files: the next byte to deliver. Gzip files: the next stored byte not yet handed to zlib.
  private var offset = 0
  /// zlib's state (gzip files only).
  private var stream: UnsafeMutablePointer<z_stream>?
  /// Whether the last gzip member has ended.
  private var streamEnded = false

  /// Opens `path` and reads its stored bytes.
  init(path: String) throws {
    file = path
    stored = try readWholeFile(path)
    isGzip = stored.count >= 2 && stored[0] == 0x1f && stored[1] == 0x8b
    if isGzip {
      let zstream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
      zstream.initialize(to: z_stream())
      // windowBits 15 + 32: a 32 KiB window, and detect the gzip (or zlib) header automatically.
      // (`inflateInit2` is a C macro; this is the function it expands to.)
      let status = inflateInit2_(zstream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
      guard status == Z_OK else {
        zstream.deinitialize(count: 1)
        zstream.deallocate()
        stored.deallocate()
        throw DatasetError.corruptGzip(file: path, reason: "zlib could not start (inflateInit2 returned \(status))")
      }
      stream = zstream
    }
  }

  deinit {
    if let stream {
      inflateEnd(stream)
      stream.deinitialize(count: 1)
      stream.deallocate()
    }
    stored.deallocate()
  }

  /// The size of the file as stored.
  var storedCount: Int { stored.count }

  /// The most content bytes the file can hold: its size when plain; 1032 times its size when gzipped (deflate
  /// cannot compress more than 1032:1), an upper bound known without decompressing anything.
  var mostContentBytes: Int {
    guard isGzip else { return stored.count }
    let (most, overflow) = stored.count.multipliedReportingOverflow(by: 1032)
    return overflow ? Int.max : most
  }

  /// How many content bytes have been delivered so far.
  var contentBytesRead: Int {
    guard let stream else { return offset }
    return Int(stream.pointee.total_out)
  }

  /// Fills `destination` with the next bytes of the content and returns how many were written: all of them,
  /// or fewer when the content ends first.
  func read(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
    guard let base = destination.baseAddress, destination.count > 0 else { return 0 }
    if !isGzip {
      let count = min(destination.count, stored.count - offset)
      if count > 0 {
        base.copyMemory(from: stored.baseAddress! + offset, byteCount: count)
        offset += count
      }
      return count
    }
    return try inflate(into: base.assumingMemoryBound(to: UInt8.self), count: destination.count)
  }

  /// The next `count` bytes, or fewer when the content ends first.
  func read(_ count: Int) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    let got = try bytes.withUnsafeMutableBytes { try read(into: $0) }
    if got < count { bytes.removeLast(count - got) }
    return bytes
  }

  /// Reads the rest of the content and returns how many bytes it had (0 when everything has been read). For gzip
  /// this decompresses to the end of the stream, so a damaged tail or a wrong CRC-32 is found.
  func skipToEnd() throws -> Int {
    if !isGzip {
      defer { offset = stored.count }
      return stored.count - offset
    }
    var scratch = [UInt8](repeating: 0, count: 1 << 16)
    var skipped = 0
    while true {
      let got = try scratch.withUnsafeMutableBytes { try read(into: $0) }
      if got == 0 { return skipped }
      skipped += got
    }
  }

  // MARK: Gzip

  private func inflate(into destination: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
    guard let stream else { return 0 }
    var written = 0
    while written < count && !streamEnded {
      let outputChunk = min(count - written, Int(UInt32.max))
      stream.pointee.next_out = destination + written
      stream.pointee.avail_out = UInt32(outputChunk)
      if stream.pointee.avail_in == 0 && offset < stored.count {
        let inputChunk = min(stored.count - offset, 1 << 30)
        stream.pointee.next_in = stored.baseAddress! + offset
        stream.pointee.avail_in = UInt32(inputChunk)
        offset += inputChunk
      }
      let status = CZlib.inflate(stream, Z_NO_FLUSH)
      written += outputChunk - Int(stream.pointee.avail_out)
      switch status {
      case Z_OK:
        continue
      case Z_STREAM_END:
        try finishMember(stream)
      case Z_BUF_ERROR:
        // No progress was possible: zlib wants more input and there is none left.
        if stream.pointee.avail_in == 0 && offset == stored.count {
          throw DatasetError.corruptGzip(
            file: file, reason: "the compressed stream stops before its end marker (the .gz file is truncated)")
        }
      default:
        var message = stream.pointee.msg.map { String(cString: $0) } ?? "inflate returned \(status)"
        if message == "incorrect data check" { message += " (the CRC-32 stored in the file does not match its content)" }
        throw DatasetError.corruptGzip(file: file, reason: message)
      }
    }
    return written
  }

  /// After a gzip member ends: start the next member if another follows (gzip files may be concatenated),
  /// accept zero padding, reject anything else.
  private func finishMember(_ stream: UnsafeMutablePointer<z_stream>) throws {
    let restStart = offset - Int(stream.pointee.avail_in)
    let rest = UnsafeBufferPointer(rebasing: stored[restStart..<stored.count])
    if rest.count >= 2 && rest[0] == 0x1f && rest[1] == 0x8b {
      inflateReset(stream)
      return
    }
    guard rest.allSatisfy({ $0 == 0 }) else {
      throw DatasetError.corruptGzip(file: file, reason: "\(rest.count) unexpected bytes follow the end of the gzip stream")
    }
    streamEnded = true
  }
}

/// The whole file at `path` in a freshly allocated buffer (the caller deallocates it).
private func readWholeFile(_ path: String) throws -> UnsafeMutableBufferPointer<UInt8> {
  let descriptor = open(path, O_RDONLY)
  guard descriptor >= 0 else {
    throw DatasetError.unreadable(file: path, reason: String(cString: strerror(errno)))
  }
  defer { close(descriptor) }
  var status = stat()
  guard fstat(descriptor, &status) == 0 else {
    throw DatasetError.unreadable(file: path, reason: String(cString: strerror(errno)))
  }
  if (status.st_mode & S_IFMT) == S_IFDIR {
    throw DatasetError.unreadable(file: path, reason: "it is a folder, not a file")
  }
  let size = Int(status.st_size)
  let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(size, 1))
  var filled = 0
  while filled < size {
    let got = read(descriptor, buffer.baseAddress! + filled, size - filled)
    if got < 0 {
      if errno == EINTR { continue }
      let reason = String(cString: strerror(errno))
      buffer.deallocate()
      throw DatasetError.unreadable(file: path, reason: reason)
    }
    if got == 0 { break }
    filled += got
  }
  return UnsafeMutableBufferPointer(rebasing: buffer[0..<filled])
}
