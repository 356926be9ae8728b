"""Everyday tools: the demo course, the grading benchmark, the notebook runner."""
