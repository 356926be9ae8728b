"""Late penalties from the course plan: ``[late]`` in ``assignments/<assignment>.toml``.

Configuration (in the repo's ``nbgrader_config.py``)::

    c.AssignLatePenalties.plugin_class = "autograder.nbgrader_ext.late.CoursePlanLatePenalty"

nbgrader's ``AssignLatePenalties`` (last of the autograde preprocessors) asks the plugin for the
penalty of each late notebook, from the seconds between the submission's timestamp and the
assignment's due date in the gradebook (which ``course.sync_due_dates`` keeps equal to the
plan's). As in nbgrader, the penalty is fixed when the notebook is autograded, from the points
known then: written answers graded later by hand are not reduced.
"""
from __future__ import annotations

from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin

from autograder.engine.assignments import AssignmentError, load_assignment

from .plugin import _coursedir


class CoursePlanLatePenalty(LateSubmissionPlugin):
    """The penalty of ``LatePolicy`` of the assignment being autograded."""

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        assignment = getattr(self.parent, "assignment_id", None)
        root = Path(_coursedir(self).root)
        try:
            plan = load_assignment(assignment, root / "assignments")
        except AssignmentError as exc:
            self.log.error("no late policy for %s (%s): no penalty applied", assignment, exc)
            return None
        penalty = plan.late.penalty(score, total_seconds_late)
        self.log.warning("%s/%s is %.0f s late: penalty %.2f of %.2f points (grace %g min, %g per day)",
                         student_id, assignment, total_seconds_late, penalty, score,
                         plan.late.grace_minutes, plan.late.penalty_per_day)
        return penalty
