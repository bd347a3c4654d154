import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A tiny HTTP/1.1 server for the download tests, bound to 127.0.0.1 on a free port the system picks. It serves
/// fixed responses by path, one connection at a time, on its own thread. Nothing here talks to any other address.
final class LocalHTTPServer: @unchecked Sendable {
  /// What to answer for a path.
  enum Response: Sendable {
    /// 200 with the whole body.
    case file(Data)
    /// 200 announcing the whole body's length, but only the first `sentBytes` are sent before the connection closes.
    case breaksOff(Data, sentBytes: Int)
    /// An error status with a short text body.
    case status(Int)
  }

  let port: UInt16
  private let listener: Int32
  private let routes: [String: Response]
  private let lock = NSLock()
  private var requestedPaths: [String] = []
  private let stopped = DispatchSemaphore(value: 0)

  /// The base URL of this server, e.g. `http://127.0.0.1:41234`.
  var baseURL: String { "http://127.0.0.1:\(port)" }

  /// The paths requested so far, in order.
  var requests: [String] { lock.withLock { requestedPaths } }

  init(routes: [String: Response]) throws {
    self.routes = routes
    #if canImport(Glibc)
      let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
      let descriptor = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard descriptor >= 0 else { throw ServerError.system("socket", errno) }
    var yes: Int32 = 1
    setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0  // any free port
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(descriptor, 16) == 0 else {
      close(descriptor)
      throw ServerError.system("bind/listen", errno)
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    listener = descriptor
    port = UInt16(bigEndian: address.sin_port)
    let thread = Thread { [self] in
      acceptLoop()
      stopped.signal()
    }
    thread.start()
  }

  /// Stops accepting and waits for the server thread to finish.
  func stop() {
    shutdown(listener, Int32(SHUT_RDWR))
    close(listener)
    stopped.wait()
  }

  private func acceptLoop() {
    while true {
      let client = accept(listener, nil, nil)
      if client < 0 {
        if errno == EINTR { continue }
        return
      }
      handle(client)
      close(client)
    }
  }

  private func handle(_ client: Int32) {
    // Read the request head (up to the blank line).
    var request: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while !request.containsBlankLine && request.count < 65536 {
      let got = recv(client, &buffer, buffer.count, 0)
      if got <= 0 { return }
      request += buffer[0..<got]
    }
    let firstLine = String(decoding: request.prefix(while: { $0 != 13 && $0 != 10 }), as: UTF8.self)
    let parts = firstLine.split(separator: " ")
    let path = parts.count >= 2 ? String(parts[1]) : "/"
    lock.withLock { requestedPaths.append(path) }

    switch routes[path] ?? .status(404) {
    case .file(let body):
      send(client, head(status: 200, length: body.count) + body)
    case .breaksOff(let body, let sentBytes):
      send(client, head(status: 200, length: body.count) + body.prefix(sentBytes))
    case .status(let code):
      let body = Data("status \(code)\n".utf8)
      send(client, head(status: code, length: body.count) + body)
    }
  }

  private func head(status: Int, length: Int) -> Data {
    let reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Error"
    return Data(
      ("HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/octet-stream\r\nContent-Length: \(length)\r\n"
        + "Connection: close\r\n\r\n").utf8)
  }

  private func send(_ client: Int32, _ data: Data) {
    data.withUnsafeBytes { raw in
      var sent = 0
      while sent < raw.count {
        #if canImport(Glibc)
          let flags = Int32(MSG_NOSIGNAL)
        #else
          let flags: Int32 = 0
        #endif
        let result = Glibc.send(client, raw.baseAddress! + sent, raw.count - sent, flags)
        if result <= 0 { return }
        sent += result
      }
    }
  }

  enum ServerError: Error {
    case system(String, Int32)
  }
}

extension Array where Element == UInt8 {
  fileprivate var containsBlankLine: Bool {
    guard count >= 4 else { return false }
    for i in 0...(count - 4) where self[i] == 13 && self[i + 1] == 10 && self[i + 2] == 13 && self[i + 3] == 10 {
      return true
    }
    return false
  }
}
