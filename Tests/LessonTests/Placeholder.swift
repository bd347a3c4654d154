// Tests for Lesson.
