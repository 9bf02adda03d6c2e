"""The sdist passes its own tests: built as pip builds it, unpacked into an empty folder, installed (``--no-deps``,
no build isolation) into a fresh venv whose only other packages are this venv's dependencies (the dev extra, seen
through a ``.pth`` line: nothing is downloaded or rebuilt), and a bounded part of its own suite run there: the
import rules, the admin client, the pytest plugin (the plugin the installed copy registers), cassettes, and
StatHat's contract tests. The browser, npm and PostgreSQL tests and the rest of the suite run in the checkout."""

from __future__ import annotations

import site
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: What the unpacked sdist runs of its own suite (90 tests, about 13 s here; the whole test about 20 s).
OWN_TESTS = ["tests/test_imports.py", "tests/test_admin_client.py", "tests/test_pytest_plugin.py",
             "tests/test_cassettes.py", "contract_tests/test_stathat.py"]


def test_the_unpacked_sdist_installs_and_passes_its_own_tests(tmp_path: Path) -> None:
    built = subprocess.run([sys.executable, "-c", f"from setuptools import build_meta; "
                            f"print(build_meta.build_sdist({str(tmp_path)!r}))"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    unpacked = tmp_path / "unpacked"
    with tarfile.open(tmp_path / built.stdout.strip().splitlines()[-1]) as sdist:
        sdist.extractall(unpacked, filter="data")
    [source] = list(unpacked.iterdir())
    assert {"tests", "contract_tests", "pyproject.toml"} <= {p.name for p in source.iterdir()}
    assert (source / "contract_tests" / "cassettes" / "stathat_sdk.yaml").is_file()

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # This venv's packages (the dev extra) behind the new venv's own: a .pth line adds the folder, and the .pth
    # files in it (this checkout's editable install) are not read, so the sdist's install is the one imported.
    ours = sysconfig.get_paths()["purelib"]
    Path(purelib, "dev_extra.pth").write_text("\n".join(dict.fromkeys([ours, *site.getsitepackages()])) + "\n")
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                                "--no-build-isolation", "--no-index", str(source)],
                               capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    where = subprocess.run([str(python), "-P", "-c", "import sdk, mock_server; print(sdk.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert where.returncode == 0 and where.stdout.startswith(purelib), where.stdout + where.stderr
    ran = subprocess.run([str(python), "-P", "-m", "pytest", "-q", "-p", "no:cacheprovider", *OWN_TESTS],
                         cwd=source, capture_output=True, text=True, timeout=900)
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
    summary = ran.stdout.strip().splitlines()[-1]  # "90 passed in 12.85s" here
    assert int(summary.split(" passed")[0].split()[-1]) >= 80 and "failed" not in summary, summary
