"""What suite authors use: checks with student-facing messages and shared test generators."""
