"""The student package (`make student`): everything a student needs, nothing that reveals a solution.

The package is built once into a temporary folder. Its files are scanned for every secret of the
repository (each solution and model-answer line of every source notebook, each distinctive line
of every file under autograder/, nbgrader's markers), with negative controls that plant each kind
of secret. A student's set-up is then replayed offline: a new virtualenv that sees the pinned
packages but not this checkout, the package installed in it with the README's `pip install -e .`,
and a release notebook run from the package with the instructor's answers pasted in.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.tools import demo, student_package as sp
from cs231n_lib import paths


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    folder, archive = sp.build(tmp_path_factory.mktemp("student"))
    return folder, archive


@pytest.fixture(scope="module")
def secrets():
    return sp.solution_lines(), sp.grader_lines()


def test_package_holds_every_release_the_library_and_the_setup_files(package):
    folder, archive = package
    released = sorted(p.relative_to(paths.REPO_ROOT) for p in paths.RELEASE_DIR.glob("*/*.ipynb"))
    assert sorted(p.relative_to(folder) for p in (folder / "release").glob("*/*.ipynb")) == released
    assert (folder / "cs231n_lib" / "__init__.py").is_file() and (folder / "cs231n_lib" / "handin.py").is_file()
    for name in sp.PACKAGE_FILES:
        assert (folder / name).is_file(), name
    assert not any((folder / d).exists() for d in ("autograder", "source_nb", "tests", "assignments"))
    with zipfile.ZipFile(archive) as zf:
        names = sorted(n for n in zf.namelist() if not n.endswith("/"))
    assert names == sorted(f"{sp.NAME}/{p.relative_to(folder).as_posix()}" for p in folder.rglob("*") if p.is_file())


def test_nothing_in_the_package_reveals_a_solution_the_grader_or_a_marker(package, secrets, tmp_path):
    folder, archive = package
    solutions, grader = secrets
    assert len(solutions) > 200 and len(grader) > 500   # the scan has something to look for
    assert sp.leaks(folder, solutions, grader) == []
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp_path)
    assert sp.leaks(tmp_path / sp.NAME, solutions, grader) == []


def test_the_scan_finds_each_kind_of_secret(package, secrets, tmp_path):
    """Negative control: a solution line, a model answer, a hidden-suite line, a marker and an
    instructor folder planted in a copy of the package are each reported."""
    solutions, grader = secrets
    copy = tmp_path / "copy"
    shutil.copytree(package[0], copy)
    svm = paths.source_notebook("assignment1", "svm")
    code_line = next(line for inside, line in sp._cell_lines(svm) if inside and "np.maximum" in line
                     and line in solutions)
    answer_line = next(line for inside, line in sp._cell_lines(svm) if inside and "kink" in line
                       and line in solutions)
    suite_line = next(line for line in (paths.REPO_ROOT / "autograder" / "suites" / "assignment1" / "svm.py")
                      .read_text().splitlines() if line.strip() in grader)
    nb_path = copy / "release" / "assignment1" / "knn.ipynb"
    nb = nbformat.read(str(nb_path), as_version=4)
    nb.cells[0].source += "\n" + answer_line
    nb.cells[2].source += "\n" + code_line
    nbformat.write(nb, str(nb_path))
    with open(copy / "cs231n_lib" / "vis.py", "a") as fh:
        fh.write("\n" + suite_line + "\n")
    with open(copy / "README.md", "a") as fh:
        fh.write("\n### BEGIN SOLUTION\n")
    (copy / "autograder").mkdir()
    (copy / "autograder" / "x.txt").write_text("hello")
    found = "\n".join(sp.leaks(copy, solutions, grader))
    assert f"solution line {code_line!r}" in found and f"solution line {answer_line!r}" in found
    assert f"grader line {suite_line.strip()!r}" in found
    assert "README.md: marker 'BEGIN SOLUTION'" in found and "autograder/x.txt: instructor file" in found


def test_a_leaky_package_is_not_written(tmp_path, monkeypatch):
    monkeypatch.setattr(sp, "leaks", lambda folder: ["cs231n_lib/x.py: solution line 'planted'"])
    with pytest.raises(RuntimeError, match="planted"):
        sp.build(tmp_path)
    assert not (tmp_path / sp.NAME).exists() and not (tmp_path / f"{sp.NAME}.zip").exists()


def test_student_requirements_leave_out_the_instructor_tools(package):
    folder = package[0]
    names = {re.split(r"[=<>]", line.split("#")[0].strip())[0].lower()
             for line in (folder / "requirements.txt").read_text().splitlines() if line.split("#")[0].strip()}
    assert {"numpy", "scipy", "scikit-learn", "matplotlib", "jupyterlab", "ipykernel", "nbformat"} <= names
    assert not names & {"nbgrader", "sqlalchemy", "pytest", "nbval", "dask"}   # no formgrader in the student's lab
    pins = {l.split("==")[0].lower(): l for l in (folder / "constraints.txt").read_text().splitlines()}
    for line in (folder / "requirements.txt").read_text().splitlines():
        req = line.split("#")[0].strip()
        if req:
            assert pins.get(req.split("==")[0].lower()) == req, req


def test_readme_gives_two_setup_commands_the_checks_and_three_ways_to_submit(package):
    text = (package[0] / "README.md").read_text()
    block = re.search(r"## Set up.*?```bash\n(.*?)```", text, re.S).group(1).strip().splitlines()
    assert block == ["python3 -m venv .venv", ".venv/bin/pip install -r requirements.txt -c constraints.txt -e ."]
    for needle in ("nbgrader submit", "python -m cs231n_lib.handin", "Gradescope", "check cell", "release/assignment1/"):
        assert needle in text, needle


def _student_env(home: Path) -> dict:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LC_ALL": "C.UTF-8", "MPLBACKEND": "Agg",
           "PYTHONDONTWRITEBYTECODE": "1", "CS231N_DATA": str(home / "no-data")}
    return env


def test_a_student_sets_up_from_the_package_alone_and_runs_a_notebook(package, tmp_path):
    """The README's `pip install -e .` in a new virtualenv that sees the pinned packages (offline:
    through a .pth to this environment's site-packages) but not this checkout; then knn.ipynb from
    the package, with the instructor's answers pasted in, runs top to bottom."""
    folder = tmp_path / "cs231n-student"
    shutil.copytree(package[0], folder)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # the pinned packages, without this checkout's editable install (a .pth line is not itself a site dir)
    (site / "pinned_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = _student_env(tmp_path)
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--disable-pip-version-check", "-e", "."], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    probe = "import cs231n_lib, importlib.util as u; print(cs231n_lib.__file__); print(u.find_spec('autograder'))"
    done = subprocess.run([str(python), "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lib_file, specs = done.stdout.splitlines()
    assert Path(lib_file).resolve().is_relative_to(folder.resolve())
    assert specs == "None"   # the grader and its suites are not reachable from the student's set-up

    nb_path = folder / "release" / "assignment1" / "knn.ipynb"
    nb = nbformat.read(str(nb_path), as_version=4)
    answers = demo.solution_sources("knn")
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    nbformat.write(nb, str(nb_path))
    runner = ("import sys, nbformat; from nbclient import NotebookClient\n"
              "nb = nbformat.read(sys.argv[1], as_version=4)\n"
              "NotebookClient(nb, timeout=300, kernel_name='python3',"
              " resources={'metadata': {'path': sys.argv[2]}}).execute()\n"
              "print('\\n'.join(o.get('text', '') for c in nb.cells if c.cell_type == 'code'"
              " for o in c.outputs if o.get('output_type') == 'stream'))\n")
    done = subprocess.run([str(python), "-c", runner, str(nb_path), str(nb_path.parent)], cwd=nb_path.parent,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "digits" in done.stdout and "passed" in done.stdout
