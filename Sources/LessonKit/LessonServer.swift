import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `--serve [PORT]`: the lesson as a page on http://127.0.0.1:PORT/ for a class without an X11 window. The page shows
/// the narration, values, claims and figures as the lesson produces them, the live figure while it trains, the
/// progress, and pause / resume / single-step buttons; `/events` is the stream behind it (server-sent events, so
/// `curl -N http://127.0.0.1:PORT/events` shows it too). Every event is kept, so a browser that connects late, or a
/// second one, sees the whole run so far. Only 127.0.0.1 is bound: nothing is reachable from other machines.
///
/// The training thread calls `gate(step:total:label:values:)` at every progress update: that is where it waits while
/// paused, and where the playground's viewer changes (learning rates, loss) take effect, so they act between steps.
public final class LessonServer: @unchecked Sendable {
  public let port: Int
  /// Where `/files/NAME` is read from (the run's folder, whichever it is at the moment).
  let files: @Sendable () -> URL
  /// Rendered live figures (`/live/NAME`), in a temporary folder removed at exit.
  let liveFolder: URL
  private let condition = NSCondition()
  private var history: [String] = []
  private var subscribers: [UUID: AsyncStream<String>.Continuation] = [:]
  private var paused = false
  private var stepsToRun = 0
  private var lastStatus = Date.distantPast
  /// The latest progress event and live figure, sent first to a page that opens late.
  private var latestStatus: String?
  private var latestLive: String?
  private var pendingChanges: [(name: String, value: String)] = []
  private var controls: [String: Control] = [:]
  private var task: Task<Void, Never>?
  private var serviceGroup: ServiceGroup?
  private let stopped = DispatchSemaphore(value: 0)
  private var failure: String?

  /// A setting the viewer may change while the lesson trains (the playground's learning rates and loss).
  public struct Control: Sendable {
    public var label: String
    /// The values offered (a choice) or nil for a number.
    public var choices: [String]?
    public var current: String
    /// Checks a new value and returns an error message, or nil when it is allowed.
    public var check: @Sendable (String) -> String?
    public init(label: String, choices: [String]? = nil, current: String, check: @escaping @Sendable (String) -> String?) {
      self.label = label
      self.choices = choices
      self.current = current
      self.check = check
    }
  }

  init(port: Int, files: @escaping @Sendable () -> URL) {
    self.port = port
    self.files = files
    liveFolder = FileManager.default.temporaryDirectory.appendingPathComponent("lesson-live-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: liveFolder, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: liveFolder) }

  public var url: String { "http://127.0.0.1:\(port)/" }

  // MARK: Starting

  /// Binds 127.0.0.1:port and serves in the background; throws a one-line message naming the port when it is in use
  /// or cannot be bound.
  func start(title: String) throws {
    try Self.checkAvailable(port)
    let page = Self.page(title: title)
    let router = Router()
    router.get("/") { _, _ in
      Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
               body: .init(byteBuffer: ByteBuffer(string: page)))
    }
    router.get("events") { [self] _, _ in
      let stream = subscribe()
      return Response(
        status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
        body: ResponseBody { [self] writer in
          streamStarted()
          defer { streamEnded() }
          for await event in stream { try await writer.write(ByteBuffer(string: event)) }
          try await writer.finish(nil)
        })
    }
    router.get("files/:name") { [self] _, context in
      try fileResponse(files(), context.parameters.require("name"))
    }
    router.get("live/:name") { [self] _, context in
      try fileResponse(liveFolder, context.parameters.require("name"))
    }
    router.post("control/:action") { [self] request, context in
      let action = try context.parameters.require("action")
      let reply = control(action, query: request.uri.queryParameters.map { (String($0.key), String($0.value)) })
      return Response(status: reply.ok ? .ok : .badRequest, headers: [.contentType: "text/plain; charset=utf-8"],
                      body: .init(byteBuffer: ByteBuffer(string: reply.message + "\n")))
    }
    let running = DispatchSemaphore(value: 0)
    let app = Application(
      router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "gan-course"),
      onServerRunning: { _ in running.signal() })
    // Our own service group, so that `stop()` can shut the server down gracefully: open responses are flushed to
    // the viewers before the process exits.
    var logger = Logger(label: "lesson-serve")
    logger.logLevel = .error
    let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
    serviceGroup = group
    task = Task.detached { [self] in
      do {
        try await group.run()
      } catch {
        recordFailure("\(error)")
        running.signal()
      }
      stopped.signal()
    }
    guard running.wait(timeout: .now() + 10) == .success else {
      throw ServeError(message: "--serve \(port): the server did not start within 10 s")
    }
    if let failure = condition.withLock({ self.failure }) {
      throw ServeError(message: "--serve \(port): cannot serve on 127.0.0.1:\(port): \(failure)")
    }
  }

  private func recordFailure(_ message: String) {
    condition.lock()
    failure = message
    condition.unlock()
  }

  struct ServeError: Error, CustomStringConvertible { var message: String; var description: String { message } }

  /// Whether 127.0.0.1:port can be bound (a plain socket, closed again), so a port in use is a clear error.
  static func checkAvailable(_ port: Int) throws {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return }
    defer { close(descriptor) }
    var reuse: Int32 = 1
    setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if result != 0 {
      let reason = errno == EADDRINUSE ? "is in use (another lesson, or another program); choose another port"
        : "cannot be bound: \(String(cString: strerror(errno)))"
      throw ServeError(message: "--serve \(port): port \(port) on 127.0.0.1 \(reason)")
    }
  }

  // MARK: Events

  /// Sends an event to every page now open and keeps it for pages that open later.
  func publish(_ name: String, _ payload: [String: Any]) {
    guard let data = try? JSONSerialization.data(withJSONObject: payload),
          let json = String(data: data, encoding: .utf8) else { return }
    let event = "event: \(name)\ndata: \(json)\n\n"
    condition.lock()
    switch name {
    case "status": latestStatus = event
    case "live": latestLive = event
    default: history.append(event)
    }
    let targets = Array(subscribers.values)
    condition.unlock()
    for target in targets { target.yield(event) }
  }

  private func subscribe() -> AsyncStream<String> {
    let (stream, continuation) = AsyncStream<String>.makeStream()
    let id = UUID()
    condition.lock()
    for latest in [latestStatus, latestLive].compactMap({ $0 }) { continuation.yield(latest) }
    for event in history { continuation.yield(event) }
    subscribers[id] = continuation
    condition.unlock()
    continuation.onTermination = { [weak self] _ in
      guard let self else { return }
      self.condition.lock()
      self.subscribers[id] = nil
      self.condition.unlock()
    }
    return stream
  }

  /// Ends every event stream (the lesson is over) and waits (up to 2 s) until each has sent its last bytes, so the
  /// process does not exit under them: curl and the page see the whole stream, then its end.
  func closeStreams() {
    condition.lock()
    let targets = Array(subscribers.values)
    subscribers = [:]
    condition.unlock()
    for target in targets { target.finish() }
    let deadline = Date().addingTimeInterval(2)
    condition.lock()
    while openStreams > 0 && condition.wait(until: deadline) {}
    condition.unlock()
    stop()
  }

  /// Shuts the server down gracefully (what was written reaches the viewers) and waits for it, at most 5 s.
  func stop() {
    guard let group = serviceGroup else { return }
    serviceGroup = nil
    Task.detached { await group.triggerGracefulShutdown() }
    _ = stopped.wait(timeout: .now() + 5)
  }

  private var openStreams = 0

  private func streamStarted() {
    condition.lock()
    openStreams += 1
    condition.unlock()
  }

  private func streamEnded() {
    condition.lock()
    openStreams -= 1
    condition.broadcast()
    condition.unlock()
  }

  // MARK: Controls

  /// Registers a setting the viewer may change; `apply` runs on the training thread at the next step.
  public func addControl(_ name: String, _ control: Control) {
    condition.lock()
    controls[name] = control
    condition.unlock()
    publish("controls", ["name": name, "label": control.label, "choices": control.choices ?? [], "current": control.current])
  }

  private func control(_ action: String, query: [(String, String)]) -> (ok: Bool, message: String) {
    condition.lock()
    defer {
      condition.broadcast()
      condition.unlock()
    }
    switch action {
    case "pause": paused = true; return (true, "paused")
    case "resume": paused = false; return (true, "running")
    case "step": paused = true; stepsToRun += 1; return (true, "one step")
    case "set":
      guard let name = query.first(where: { $0.0 == "name" })?.1, let value = query.first(where: { $0.0 == "value" })?.1
      else { return (false, "set needs ?name=...&value=...") }
      guard let control = controls[name] else {
        return (false, "no setting '\(name)'; there are: \(controls.keys.sorted().joined(separator: ", "))")
      }
      if let problem = control.check(value) { return (false, "\(name) \(value): \(problem)") }
      pendingChanges.append((name, value))
      return (true, "\(name) = \(value) from the next step")
    default:
      return (false, "unknown action '\(action)' (pause, resume, step, set)")
    }
  }

  /// Called by the training thread at each step: reports progress (a few times a second), waits while paused, and
  /// returns the viewer's changes to apply now.
  func gate(step: Int, total: Int, label: String, values: [(String, Double)]) -> [(name: String, value: String)] {
    condition.lock()
    let now = Date()
    let report = now.timeIntervalSince(lastStatus) > 0.25 || step >= total || paused
    if report { lastStatus = now }
    let isPaused = paused
    condition.unlock()
    if report {
      publish("status", ["step": step, "total": total, "label": label, "paused": isPaused,
                         "values": values.map { ["name": $0.0, "value": $0.1.isFinite ? $0.1 : 0] }])
    }
    condition.lock()
    while paused && stepsToRun == 0 { condition.wait() }
    if paused { stepsToRun -= 1 }
    let changes = pendingChanges
    pendingChanges = []
    condition.unlock()
    return changes
  }

  private func fileResponse(_ folder: URL, _ name: String) throws -> Response {
    guard !name.contains("/"), !name.hasPrefix("."),
          let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else {
      return Response(status: .notFound)
    }
    let type = ["png": "image/png", "gif": "image/gif", "svg": "image/svg+xml"][(name as NSString).pathExtension]
      ?? "application/octet-stream"
    return Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
                    body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }

  // MARK: The page

  static func page(title: String) -> String {
    """
    <!DOCTYPE html>
    <html lang="en"><head><meta charset="utf-8"><title>\(title)</title>
    <style>
    body { font: 18px/1.5 system-ui, sans-serif; max-width: 70em; margin: 1em auto; padding: 0 1em; color: #222; }
    #bar { position: sticky; top: 0; background: #f7f9fc; border: 1px solid #c9d6ea; padding: .5em 1em; }
    button { font-size: 100%; margin-right: .4em; } img { max-width: 100%; border: 1px solid #ddd; }
    .value { font-family: monospace; }
    .pass { color: #11722b; font-weight: bold; } .fail { color: #b3261e; font-weight: bold; }
    #live img { max-width: 48em; } h2 { border-bottom: 1px solid #ccc; }
    </style></head><body>
    <h1>\(title)</h1>
    <div id="bar"><button onclick="control('pause')">pause</button><button onclick="control('resume')">resume</button>
    <button onclick="control('step')">one step</button> <span id="status">waiting for the first step</span>
    <span id="controls"></span></div>
    <div id="live"></div><div id="cells"></div>
    <script>
    const cells = document.getElementById('cells');
    function add(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls;
      if (text !== undefined) e.textContent = text; cells.appendChild(e); return e; }
    function control(action, query) { fetch('/control/' + action + (query || ''), {method: 'POST'})
      .then(r => r.text()).then(t => { document.getElementById('status').title = t; }); }
    const events = new EventSource('/events');
    events.addEventListener('cell', e => { const c = JSON.parse(e.data);
      if (c.kind === 'section') add('h2', '', c.text);
      else if (c.kind === 'narrative') add('div', '').innerHTML = c.html;
      else if (c.kind === 'value') add('div', 'value', c.text);
      else if (c.kind === 'claim') { const p = add('div', '');
        const m = document.createElement('span'); m.className = c.passed ? 'pass' : 'fail';
        m.textContent = c.passed ? 'PASS ' : 'FAIL '; p.appendChild(m);
        p.appendChild(document.createTextNode(c.text + (c.detail ? ' (' + c.detail + ')' : ''))); }
      else if (c.kind === 'image') { const f = add('figure', ''); const i = document.createElement('img');
        i.src = '/files/' + encodeURIComponent(c.file); i.alt = c.text || c.file; f.appendChild(i);
        if (c.text) { const cap = document.createElement('figcaption'); cap.textContent = c.text; f.appendChild(cap); } }
    });
    events.addEventListener('status', e => { const s = JSON.parse(e.data);
      document.getElementById('status').textContent = s.label + ': step ' + s.step + ' of ' + s.total +
        (s.paused ? ' (paused)' : '') + '  ' + s.values.map(v => v.name + ' ' + v.value.toPrecision(4)).join('  '); });
    events.addEventListener('live', e => { const l = JSON.parse(e.data); const box = document.getElementById('live');
      let img = box.querySelector('img'); if (!img) { img = document.createElement('img'); box.appendChild(img); }
      img.src = '/live/' + encodeURIComponent(l.file) + '?v=' + l.version; img.alt = l.title; });
    events.addEventListener('controls', e => { const c = JSON.parse(e.data);
      const box = document.getElementById('controls'); const label = document.createElement('label');
      label.textContent = ' ' + c.label + ' '; let input;
      if (c.choices.length) { input = document.createElement('select');
        c.choices.forEach(v => { const o = document.createElement('option'); o.textContent = v; input.appendChild(o); }); }
      else { input = document.createElement('input'); input.size = 8; }
      input.value = c.current; input.onchange = () => control('set', '?name=' + encodeURIComponent(c.name) +
        '&value=' + encodeURIComponent(input.value));
      label.appendChild(input); box.appendChild(label); });
    events.addEventListener('finished', e => { document.getElementById('status').textContent += '  (the lesson has ended)';
      events.close(); });
    </script></body></html>
    """
  }
}
