// course-book: the course notes beside the figures and numbers of each lesson's newest run, as a static site that
// opens from file:// (output/book/index.html).
//
//   swift run lesson-03-mode-collapse && swift run course-book
import ArgumentParser
import Foundation

struct CourseBook: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "course-book",
    abstract: "Build the course book: each lesson's notes with its newest run's figures and claims (HTML).")
  @Option(help: ArgumentHelp("The folder holding the lessons' run folders.", valueName: "dir")) var runs = "output"
  @Option(help: ArgumentHelp("Where to write the book (replaced as a whole).", valueName: "dir")) var out = "output/book"
  @Option(help: ArgumentHelp("The course's lesson folders (NN-slug with README.md).", valueName: "dir"))
  var lessons = "Lessons"

  func run() throws {
    let started = Date()
    let book = Book(lessonsFolder: URL(fileURLWithPath: lessons), runsFolder: URL(fileURLWithPath: runs),
                    outFolder: URL(fileURLWithPath: out))
    do {
      let (pages, found) = try book.build()
      let seconds = Date().timeIntervalSince(started)
      print("course-book: \(pages) pages, \(found) lessons with a run, in \(String(format: "%.1f", seconds)) s -> "
              + URL(fileURLWithPath: out).appendingPathComponent("index.html").standardizedFileURL.absoluteString)
    } catch let error as BookError {
      FileHandle.standardError.write(Data("course-book: \(error.description)\n".utf8))
      throw ExitCode.failure
    }
  }
}

CourseBook.main()
