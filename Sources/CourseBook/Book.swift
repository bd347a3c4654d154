import Foundation
import Ink
import LessonKit

/// What went wrong building the book; each names the folder or file.
struct BookError: Error, CustomStringConvertible {
  var description: String
}

/// One lesson of the course: its folder under `Lessons/` and its course notes.
struct CourseLesson {
  var number: Int
  var slug: String
  var folder: URL
  var title: String
  var notes: String
  var executable: String { String(format: "lesson-%02d-", number) + slug }
}

/// A lesson's newest run, read from its `metrics.json` (or why it could not be read).
struct LessonRun {
  var folder: URL
  var date: Date
  /// The parsed metrics, or nil with `problem` saying why (an older format, a damaged file).
  var metrics: [String: Any]?
  var problem: String?
  var files: [String]

  var claims: [[String: Any]] { metrics?["claims"] as? [[String: Any]] ?? [] }
}

/// Builds the course book: `index.html` and one page per lesson, the notes (Markdown, by Ink) with the figures of
/// the lesson's newest run where the notes name them, the rest of its figures in a gallery, its claims, seed, budget
/// and wall time, and links to each figure's gnuplot script and data and to the notebook. Everything the pages show
/// is copied beside them, so the book opens from `file://` with no server.
struct Book {
  let lessonsFolder: URL
  let runsFolder: URL
  let outFolder: URL

  static let copied: Set<String> = ["png", "gif", "gp", "dat", "ipynb", "md", "json"]

  func lessons() throws -> [CourseLesson] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: lessonsFolder.path)) ?? []
    let lessons = try names.sorted().compactMap { name -> CourseLesson? in
      guard let match = name.wholeMatch(of: /(\d\d)-([a-z0-9-]+)/), let number = Int(match.1) else { return nil }
      let folder = lessonsFolder.appendingPathComponent(name)
      let readme = folder.appendingPathComponent("README.md")
      guard let notes = try? String(contentsOf: readme, encoding: .utf8) else {
        throw BookError(description: "\(readme.path): the lesson's course notes cannot be read")
      }
      let title = notes.split(separator: "\n").first { $0.hasPrefix("# ") }.map { String($0.dropFirst(2)) } ?? name
      return CourseLesson(number: number, slug: String(match.2), folder: folder, title: title, notes: notes)
    }
    guard !lessons.isEmpty else {
      throw BookError(description: "--lessons \(lessonsFolder.path): no lesson folders (NN-slug with README.md); "
                        + "run course-book from the course's folder")
    }
    return lessons
  }

  /// The newest run of each lesson number among the folders in `runsFolder` (the book's own folder left out).
  func runs() -> [Int: LessonRun] {
    let fileManager = FileManager.default
    var newest: [Int: LessonRun] = [:]
    let names = (try? fileManager.contentsOfDirectory(atPath: runsFolder.path)) ?? []
    for name in names where !name.hasPrefix(".") {
      let folder = runsFolder.appendingPathComponent(name)
      guard folder.standardizedFileURL != outFolder.standardizedFileURL else { continue }
      let metricsFile = folder.appendingPathComponent("metrics.json")
      guard let attributes = try? fileManager.attributesOfItem(atPath: metricsFile.path) else { continue }
      let date = attributes[.modificationDate] as? Date ?? .distantPast
      let files = ((try? fileManager.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix(".") }
      var run = LessonRun(folder: folder, date: date, metrics: nil, problem: nil, files: files.sorted())
      var number = name.wholeMatch(of: /lesson-(\d\d)-.*/).flatMap { Int($0.1) }
      if let data = try? Data(contentsOf: metricsFile),
         let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
        if let lesson = json["lesson"] as? [String: Any], let n = lesson["number"] as? Int { number = n }
        if json["claims"] is [[String: Any]], json["lesson"] is [String: Any] {
          run.metrics = json
        } else {
          run.problem = "its metrics.json is from an older format (no \"lesson\" and \"claims\" fields)"
        }
      } else {
        run.problem = "its metrics.json is not readable JSON"
      }
      guard let number else { continue }
      if let existing = newest[number], existing.date >= date { continue }
      newest[number] = run
    }
    return newest
  }

  /// Writes the book into a staging folder and swaps it in, so an interrupted build leaves the previous book.
  func build() throws -> (pages: Int, runs: Int) {
    let lessons = try lessons()
    let runs = runs()
    let fileManager = FileManager.default
    let staging = outFolder.deletingLastPathComponent()
      .appendingPathComponent(".\(outFolder.lastPathComponent).staging-\(ProcessInfo.processInfo.processIdentifier)")
    try? fileManager.removeItem(at: staging)
    do {
      try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
    } catch {
      throw BookError(description: "--out \(outFolder.path): cannot create \(staging.path): \(error.localizedDescription)")
    }
    do {
      for (index, lesson) in lessons.enumerated() {
        let page = try lessonPage(lesson, run: runs[lesson.number], staging: staging,
                                  previous: index > 0 ? lessons[index - 1] : nil,
                                  next: index + 1 < lessons.count ? lessons[index + 1] : nil)
        try write(page, to: staging.appendingPathComponent(lesson.executable + ".html"))
      }
      try write(indexPage(lessons, runs: runs), to: staging.appendingPathComponent("index.html"))
      if fileManager.fileExists(atPath: outFolder.path) {
        let old = outFolder.deletingLastPathComponent().appendingPathComponent(".\(outFolder.lastPathComponent).old-\(UUID().uuidString)")
        try fileManager.moveItem(at: outFolder, to: old)
        try fileManager.moveItem(at: staging, to: outFolder)
        try? fileManager.removeItem(at: old)
      } else {
        try fileManager.moveItem(at: staging, to: outFolder)
      }
    } catch {
      try? fileManager.removeItem(at: staging)
      throw error
    }
    return (lessons.count + 1, lessons.filter { runs[$0.number]?.metrics != nil }.count)
  }

  func write(_ html: String, to url: URL) throws {
    do {
      try Data(html.utf8).write(to: url, options: .atomic)
    } catch {
      throw BookError(description: "\(url.path): cannot be written: \(error.localizedDescription)")
    }
  }

  // MARK: Pages

  func indexPage(_ lessons: [CourseLesson], runs: [Int: LessonRun]) -> String {
    var rows = ""
    for lesson in lessons {
      let status: String
      if let run = runs[lesson.number], run.metrics != nil {
        let (passed, total) = (run.claims.filter { $0["passed"] as? Bool == true }.count, run.claims.count)
        let cls = passed == total ? "pass" : "fail"
        status = "<span class=\"\(cls)\">\(passed) of \(total) claims hold</span>, run \(Self.dateText(run.date))"
      } else if let run = runs[lesson.number] {
        status = "<span class=\"fail\">run not readable</span>: \(escape(run.problem ?? ""))"
      } else {
        status = "not run yet: <code>swift run \(lesson.executable)</code>"
      }
      rows += "<tr><td>\(lesson.number)</td><td><a href=\"\(lesson.executable).html\">\(escape(lesson.title))</a></td>"
        + "<td>\(status)</td></tr>\n"
    }
    return Self.page(title: "The GAN course", body: """
      <h1>GANs by running them: the course book</h1>
      <p>Each lesson's course notes beside the figures and numbers of its newest run in <code>\(escape(runsFolder.path))</code>.
      Run a lesson (<code>swift run lesson-NN-...</code>), then <code>swift run course-book</code> again to see it here.</p>
      <table><thead><tr><th>#</th><th>lesson</th><th>its newest run</th></tr></thead><tbody>
      \(rows)</tbody></table>
      """)
  }

  func lessonPage(_ lesson: CourseLesson, run: LessonRun?, staging: URL, previous: CourseLesson?,
                  next: CourseLesson?) throws -> String {
    let assets = staging.appendingPathComponent(lesson.executable)
    try FileManager.default.createDirectory(at: assets, withIntermediateDirectories: true)
    let usable = run?.metrics != nil ? run : nil
    var runFiles = Set<String>()
    if let run = usable {
      for name in run.files where Self.copied.contains((name as NSString).pathExtension.lowercased()) {
        try FileManager.default.copyItem(at: run.folder.appendingPathComponent(name),
                                         to: assets.appendingPathComponent(name))
        runFiles.insert(name)
      }
    }
    // The notes, with each figure they name taken from the run when it made one (else the course's own copy).
    var html = MarkdownParser().html(from: MarkdownText.escapingFormulas(lesson.notes))
    var shown = Set<String>()
    for match in html.matches(of: /<img src="figures\/([^"]+)"/).reversed() {
      let name = String(match.1)
      let source: String
      if runFiles.contains(name) {
        source = "\(lesson.executable)/\(name)"
        shown.insert(name)
      } else {
        let copy = assets.appendingPathComponent("course-figures")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        let original = lesson.folder.appendingPathComponent("figures/\(name)")
        if FileManager.default.fileExists(atPath: original.path),
           !FileManager.default.fileExists(atPath: copy.appendingPathComponent(name).path) {
          try FileManager.default.copyItem(at: original, to: copy.appendingPathComponent(name))
        }
        source = "\(lesson.executable)/course-figures/\(name)"
      }
      html.replaceSubrange(match.range, with: "<img src=\"\(source)\"")
    }
    // File names the notes mention become links to this run's files.
    for match in html.matches(of: /<code>([A-Za-z0-9._-]+\.(png|gif|gp|dat|ipynb))<\/code>/).reversed()
    where runFiles.contains(String(match.1)) {
      html.replaceSubrange(match.range, with: "<a href=\"\(lesson.executable)/\(match.1)\"><code>\(match.1)</code></a>")
    }
    var navigation = "<nav><a href=\"index.html\">course book</a>"
    if let previous { navigation += " · <a href=\"\(previous.executable).html\">← \(escape(previous.title))</a>" }
    if let next { navigation += " · <a href=\"\(next.executable).html\">\(escape(next.title)) →</a>" }
    navigation += "</nav>"
    let body = navigation + runPanel(lesson, run: run) + "<article>" + html + "</article>"
      + gallery(lesson, files: runFiles.subtracting(shown)) + navigation
    return Self.page(title: lesson.title, body: body)
  }

  func runPanel(_ lesson: CourseLesson, run: LessonRun?) -> String {
    guard let run else {
      return "<div class=\"panel\"><strong>Not run yet:</strong> <code>swift run \(lesson.executable)</code>, then "
        + "<code>swift run course-book</code> again. The figures below are from the course's reference run.</div>"
    }
    guard let metrics = run.metrics else {
      return "<div class=\"panel\"><strong>The run in <code>\(escape(run.folder.path))</code> cannot be shown:</strong> "
        + "\(escape(run.problem ?? "")). Run <code>swift run \(lesson.executable)</code> again.</div>"
    }
    let seed = metrics["seed"].map { "\($0)" } ?? "?"
    let steps = metrics["steps"].map { "\($0)" } ?? "?"
    let seconds = (metrics["wallTimeSeconds"] as? Double).map { String(format: "%.1f s", $0) } ?? "?"
    let quick = metrics["quick"] as? Bool == true ? " (<code>--quick</code>: the small budget)" : ""
    var rows = ""
    for claim in run.claims {
      let passed = claim["passed"] as? Bool == true
      rows += "<tr><td class=\"\(passed ? "pass" : "fail")\">\(passed ? "PASS" : "FAIL")</td>"
        + "<td>\(escape(claim["name"] as? String ?? ""))</td><td>\(escape(claim["detail"] as? String ?? ""))</td></tr>\n"
    }
    let links = ["lesson.ipynb": "notebook", "notes.md": "the run's narration", "metrics.json": "metrics"]
      .sorted { $0.key < $1.key }.filter { run.files.contains($0.key) }
      .map { "<a href=\"\(lesson.executable)/\($0.key)\">\($0.value)</a>" }.joined(separator: " · ")
    return """
      <div class="panel"><p><strong>This run</strong> (\(escape(run.folder.path)), \(Self.dateText(run.date))): seed \
      \(seed), \(steps) steps\(quick), wall time \(seconds). \(links)</p>
      <table class="claims"><thead><tr><th></th><th>claim</th><th>measured</th></tr></thead><tbody>
      \(rows)</tbody></table></div>
      """
  }

  func gallery(_ lesson: CourseLesson, files: Set<String>) -> String {
    let pictures = files.filter { $0.hasSuffix(".png") || $0.hasSuffix(".gif") }.sorted()
    guard !pictures.isEmpty else { return "" }
    var html = "<h2>All figures of this run</h2><div class=\"gallery\">"
    for picture in pictures {
      let stem = (picture as NSString).deletingPathExtension
      let sources = ["gp", "dat"].map { "\(stem).\($0)" }.filter(files.contains)
        .map { "<a href=\"\(lesson.executable)/\($0)\">\($0)</a>" }.joined(separator: " ")
      html += "<figure><a href=\"\(lesson.executable)/\(picture)\"><img src=\"\(lesson.executable)/\(picture)\" "
        + "alt=\"\(picture)\"></a><figcaption><code>\(picture)</code> \(sources)</figcaption></figure>"
    }
    return html + "</div>"
  }

  static func dateText(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyy-MM-dd HH:mm"
    return formatter.string(from: date)
  }

  static func page(title: String, body: String) -> String {
    """
    <!DOCTYPE html>
    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>\(escape(title))</title>
    <style>
    body { font: 18px/1.55 system-ui, sans-serif; max-width: 62em; margin: 2em auto; padding: 0 1em; color: #222; }
    img { max-width: 100%; height: auto; border: 1px solid #ddd; }
    table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccc; padding: .3em .6em; }
    th { background: #f3f3f3; } code { background: #f4f4f4; padding: 0 .2em; }
    pre { background: #f4f4f4; padding: .8em; overflow-x: auto; }
    .panel { background: #f7f9fc; border: 1px solid #c9d6ea; padding: .6em 1em; margin: 1em 0; }
    .pass { color: #11722b; font-weight: bold; } .fail { color: #b3261e; font-weight: bold; }
    .gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(18em, 1fr)); gap: 1em; }
    figure { margin: 0; } figcaption { font-size: 85%; } nav { margin: 1em 0; }
    </style></head><body>
    \(body)
    </body></html>

    """
  }
}

func escape(_ text: String) -> String {
  text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
