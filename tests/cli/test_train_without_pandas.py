"""``recommender train --no-tune`` (its load, fits, warnings and save) never imports pandas.

pyarrow imports pandas where it is installed on its first ``to_numpy``, ``pa.array`` or
``pa.scalar`` (0.1 to 0.4 s); the engine converts through ``recommender.io.arrow_numpy``
instead. Training runs in a fresh interpreter (this one has imported pandas long since), which
reports whether pandas was imported by the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recommender.model import artifact

ROOT = Path(__file__).resolve().parents[2]

TRAIN = """
import json, sys
from recommender import cli
code = cli.main(sys.argv[1:])
print(json.dumps({"code": code, "pandas": "pandas" in sys.modules}))
"""


def _log(folder: Path) -> Path:
    """30 users, 12 films: user u watches films u % 12 ... (u + 5) % 12, one a day."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["user_id,film_id,rating,timestamp"]
    for u in range(30):
        lines += [f"u{u},f{(u + k) % 12},{1 + (u + k) % 5},{86_400 * (u * 6 + k)}"
                  for k in range(6)]
    (folder / "interactions.csv").write_text("\n".join(lines) + "\n")
    (folder / "films.csv").write_text("film_id,title,year,genres\n" + "".join(
        f"f{i},Film {i},{1990 + i},Drama\n" for i in range(12)))
    (folder / "users.csv").write_text("user_id,age,gender\n" + "".join(
        f"u{u},{20 + u},{'FM'[u % 2]}\n" for u in range(30)))
    return folder


def test_train_no_tune_runs_without_pandas(tmp_path: Path) -> None:
    pytest.importorskip("pandas")  # where pandas is missing nothing could import it
    data = _log(tmp_path / "data")
    out = tmp_path / "model"
    argv = ["train", "--data", str(data / "interactions.csv"), "--films",
            str(data / "films.csv"), "--users", str(data / "users.csv"), "--out", str(out),
            "--no-tune", "--factors", "4", "--iterations", "2", "--segments", "2"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", TRAIN, *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["code"] == 0, done.stderr
    model = artifact.load(out)  # the model it wrote: every user and film of the log
    assert sorted(model.users.ids.tolist()) == sorted(f"u{u}" for u in range(30))
    assert sorted(model.films.ids.tolist()) == sorted(f"f{i}" for i in range(12))
    assert got["pandas"] is False
