"""The README's instructor workflow, run command by command as written, on a new workspace.

The commands come from the README block after ``<!-- instructor-commands -->``. They run in a
copy of the course (source_nb/, release/, assignments/, nbgrader_config.py and a link to .venv)
from a plain shell: PATH is only /usr/bin:/bin (the virtualenv is not activated) and
CS231N_WORKSPACE names a folder that does not exist yet (a moved workspace, a new gradebook).
Between the commands, students do what the student README says:

- alice fetches the assignment through the exchange, answers, submits (on time);
- the due date in assignments/assignment1.toml is then set to "now", with a late policy of 25 %
  per started day; bob submits from the student package's layout (``cd release && nbgrader
  submit``), late;
- carol packs a zip with ``python -m cs231n_lib.handin`` (her svm_loss_vectorized forgets the
  0.5), which goes into ``<workspace>/downloaded/assignment1/archive/``;
- after release_feedback, alice fetches her feedback.
"""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest

from autograder.tools import demo
from cs231n_lib import paths

ROOT = paths.REPO_ROOT
VENV = ROOT / ".venv"
ASSIGNMENT = "assignment1"
COURSE_ID = "cs231n-workbook"
NOISE = ("SAWarning", "display_data_priority", "without encryption", "Traceback", "FileNotFoundError")


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- instructor-commands -->\s*```bash\n(.*?)```", text, re.S)
    assert block, "README has no instructor-commands block"
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def plain_env(home: Path, **extra) -> dict:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LC_ALL": "C.UTF-8", "USER": "instructor",
            "PYTHONDONTWRITEBYTECODE": "1", **extra}


def answered(folder: Path, answers_by_notebook: dict[str, dict[str, str]]) -> None:
    """Paste answers into the notebooks of ``folder`` (a student's copy)."""
    for notebook, answers in answers_by_notebook.items():
        path = folder / f"{notebook}.ipynb"
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in answers:
                cell.source = answers[gid]
        nbformat.write(nb, str(path))


class Student:
    def __init__(self, name: str, tmp: Path, exchange: Path):
        self.name, self.home, self.exchange = name, tmp / name, exchange
        self.home.mkdir()

    def nbgrader(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        env = plain_env(self.home, USER=self.name)
        # --student stands for the login nbgrader would take the name from (all run as one OS user here)
        cmd = [str(VENV / "bin" / "nbgrader"), *args, "--course", COURSE_ID, f"--Exchange.root={self.exchange}",
               "--student", self.name]
        done = subprocess.run(cmd, cwd=cwd or self.home, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{self.name}: {' '.join(args)}\n{done.stdout}{done.stderr}"
        return done


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """Runs the whole workflow once; yields what the tests inspect."""
    if not (VENV / "bin" / "nbgrader").exists():
        pytest.skip("needs the project's .venv (make setup)")
    tmp = tmp_path_factory.mktemp("term")
    course = tmp / "course"
    course.mkdir()
    for name in ("source_nb", "release", "assignments"):
        shutil.copytree(ROOT / name, course / name)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    (course / ".venv").symlink_to(VENV)
    workspace = tmp / "moved" / "workspace"   # does not exist yet
    exchange = workspace / "exchange"
    env = plain_env(tmp, CS231N_WORKSPACE=str(workspace), MPLBACKEND="Agg")
    solved = {nb: demo.solution_sources(nb) for nb in demo.NOTEBOOKS}
    alice, bob, carol = (Student(n, tmp, exchange) for n in ("alice", "bob", "carol"))
    before_files = sorted(p.name for p in course.iterdir())
    ns = type("Term", (), {})()
    ns.runs, ns.course, ns.workspace, ns.alice = [], course, workspace, alice

    def after_release():
        alice.nbgrader("fetch_assignment", ASSIGNMENT)
        answered(alice.home / ASSIGNMENT, solved)
        alice.nbgrader("submit", ASSIGNMENT)
        # the due date passes: "now", with 25 % off per started day late
        due = (datetime.now(timezone.utc) + timedelta(seconds=1)).replace(microsecond=0)   # after alice's time
        toml = course / "assignments" / f"{ASSIGNMENT}.toml"
        text = re.sub(r'^due = ".*?"', f'due = "{due.isoformat()}"', toml.read_text(), count=1, flags=re.M)
        toml.write_text(text + "\n[late]\npenalty_per_day = 0.25\n")
        ns.due = due.replace(tzinfo=None)
        while datetime.now(timezone.utc) < due + timedelta(seconds=0.5):   # bob's time comes after it
            time.sleep(0.1)
        # bob works in the student package's layout and submits from its release/ folder
        shutil.copytree(ROOT / "release" / ASSIGNMENT, bob.home / "release" / ASSIGNMENT)
        answered(bob.home / "release" / ASSIGNMENT, solved)
        bob.nbgrader("submit", ASSIGNMENT, cwd=bob.home / "release")

    def before_zip_collect():
        folder = carol.home / "release" / ASSIGNMENT
        shutil.copytree(ROOT / "release" / ASSIGNMENT, folder)
        answered(folder, dict(solved, svm=dict(solved["svm"], svm_loss_vectorized=demo.BUGGY_SVM_LOSS_VECTORIZED)))
        done = subprocess.run([str(VENV / "bin" / "python"), "-m", "cs231n_lib.handin", ASSIGNMENT,
                               "--student", "carol"], cwd=carol.home, env=plain_env(carol.home),
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        archive = workspace / "downloaded" / ASSIGNMENT / "archive"
        archive.mkdir(parents=True, exist_ok=True)
        shutil.move(str(carol.home / f"carol_{ASSIGNMENT}.zip"), archive)

    def after_release_feedback():
        ns.fetched = alice.nbgrader("fetch_feedback", ASSIGNMENT)

    hooks_after = {"release_assignment": after_release, "release_feedback": after_release_feedback}
    hooks_before = {"zip_collect": before_zip_collect}
    for command in readme_commands():
        step = command.split()[1] if command.startswith(".venv/bin/nbgrader") else command
        if step in hooks_before:
            hooks_before[step]()
        started = time.perf_counter()
        done = subprocess.run(command, shell=True, cwd=course, env=env, capture_output=True, text=True, timeout=600)
        ns.runs.append((command, done, time.perf_counter() - started))
        if step in hooks_after and done.returncode == 0:
            hooks_after[step]()
    ns.new_files = sorted(set(p.name for p in course.iterdir()) - set(before_files))
    return ns


def test_the_readme_lists_the_whole_round():
    steps = [c.split()[1] for c in readme_commands()]
    assert steps == ["generate_assignment", "release_assignment", "collect", "zip_collect", "autograde",
                     "generate_feedback", "release_feedback", "export"]
    assert all(c.startswith(".venv/bin/nbgrader ") for c in readme_commands())


def test_every_command_succeeds_from_a_plain_shell_and_prints_no_noise(term):
    assert [c for c, _, _ in term.runs] == readme_commands()
    for command, done, _ in term.runs:
        out = done.stdout + done.stderr
        assert done.returncode == 0, f"{command}\n{out[-3000:]}"
        assert [n for n in NOISE if n in out] == [], f"{command}\n{out[-3000:]}"


def test_the_new_workspace_holds_a_whole_gradebook_with_the_due_date(term):
    from nbgrader.api import Gradebook
    assert not [p for p in term.workspace.iterdir() if p.name.endswith(".partial")]
    with Gradebook(f"sqlite:///{term.workspace / 'gradebook.db'}") as gb:
        assert gb.find_assignment(ASSIGNMENT).duedate == term.due
        assert sorted(s.id for s in gb.students) == ["alice", "bob", "carol"]


def test_exchange_and_zip_submissions_are_collected(term):
    for student in ("alice", "bob", "carol"):
        folder = term.workspace / "submitted" / student / ASSIGNMENT
        assert sorted(p.name for p in folder.glob("*.ipynb")) == ["knn.ipynb", "softmax.ipynb", "svm.ipynb"], student
    assert (term.workspace / "submitted" / "bob" / ASSIGNMENT / "timestamp.txt").is_file()


def test_grades_land_in_the_workspace_with_late_penalties_and_status(term):
    assert "grades.csv" not in term.new_files and term.new_files == [], term.new_files
    rows = {r["student_id"]: r for r in csv.DictReader((term.workspace / "grades.csv").open())
            if r["assignment"] == ASSIGNMENT}
    full = 15 + 14 + 8
    alice, bob, carol = rows["alice"], rows["bob"], rows["carol"]
    assert (float(alice["raw_score"]), float(alice["late_submission_penalty"]), float(alice["score"])) == (full, 0, full)
    # bob is late (less than a day): 25 % of each notebook's points
    assert float(bob["raw_score"]) == full and float(bob["late_submission_penalty"]) == pytest.approx(0.25 * full)
    assert float(bob["score"]) == pytest.approx(0.75 * full)
    # carol's zip carries no trusted time: not late; she loses points on svm_loss_vectorized only
    assert float(carol["late_submission_penalty"]) == 0 and full - 4 < float(carol["raw_score"]) < full
    for row in (alice, bob, carol):
        assert row["status"] == "autograded, written answers pending"
        assert row["duedate"].startswith(term.due.isoformat(sep=" "))


def test_feedback_is_generated_and_reaches_the_student_through_the_exchange(term):
    for student in ("alice", "bob", "carol"):
        assert len(list((term.workspace / "feedback" / student / ASSIGNMENT).glob("*.html"))) == 3
    fetched = sorted(p.name for p in (term.alice.home / ASSIGNMENT / "feedback").rglob("*.html"))
    assert fetched == ["knn.html", "softmax.html", "svm.html"]


def test_commands_fail_without_the_prepared_course():
    """Negative control: in a folder without this course's nbgrader_config.py, the same autograde
    command from a plain shell does not find the assignment (so the test above proves something)."""
    if not (VENV / "bin" / "nbgrader").exists():
        pytest.skip("needs the project's .venv (make setup)")
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([str(VENV / "bin" / "nbgrader"), "autograde", ASSIGNMENT], cwd=tmp,
                              env=plain_env(Path(tmp)), capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
