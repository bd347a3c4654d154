// Tests for LessonKit.
