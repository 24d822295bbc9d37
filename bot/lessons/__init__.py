"""Financial-literacy lessons and quizzes: content, recommendations (see docs/lessons.md)."""
