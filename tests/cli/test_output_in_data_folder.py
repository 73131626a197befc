"""What README says of an output inside the ``--data`` folder is what the commands do: ``train
--out`` may put its model folder there (a folder of Parquet parts skips a subfolder holding
``meta.json``, so a later read finds the same interactions), ``tune --out`` and ``evaluate
--json`` are refused anywhere in it. README said every output in the folder was refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme() -> str:
    return re.sub(r"\s+", " ", README.read_text(encoding="utf-8"))


def test_readme_says_which_commands_refuse_an_output_in_the_data_folder() -> None:
    text = _readme()
    assert ("`tune --out` and `evaluate --json` are also refused anywhere in a `--data` folder"
            in text)
    assert ("`train --out` is not: its model folder may lie inside the `--data` folder, and a "
            "folder of Parquet parts skips a subfolder holding `meta.json`, so a later `train "
            "--data` of the folder reads the same interactions." in text)
    assert ("and so is a model folder (a subfolder holding `meta.json`: `train --out "
            "DIR/model` beside the parts)" in text)
    assert "or any path in its `--data` folder), or that lies inside a model folder" not in text


def test_train_keeps_its_model_in_the_parts_folder_and_tune_refuses_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parts = tmp_path / "log"
    parts.mkdir()
    rows = [(f"u{u}", f"f{(u * 7 + j) % 23}") for u in range(40) for j in range(8)]
    for i in range(2):  # two parts, half of the rows each
        half = rows[i::2]
        pq.write_table(pa.table({"user_id": [u for u, _ in half],
                                 "film_id": [f for _, f in half]}),
                       parts / f"part-{i}.parquet")
    inside, beside = parts / "model", tmp_path / "model"
    common = ["--no-tune", "--segments", "2"]
    assert main(["train", "--data", str(parts), "--out", str(inside), *common]) == 0
    assert (inside / "meta.json").exists()
    # read again with the model folder among the parts: the same interactions
    assert main(["train", "--data", str(parts), "--out", str(beside), *common]) == 0
    first = json.loads((inside / "meta.json").read_text())["data"]
    again = json.loads((beside / "meta.json").read_text())["data"]
    assert again["fingerprint"] == first["fingerprint"]
    assert again["interactions"] == first["interactions"] == len(set(rows))
    capsys.readouterr()
    for out in (parts / "t.json", parts / "reports" / "t.json"):
        assert main(["tune", "--data", str(parts), "--out", str(out), "--trials", "2"]) == 2
        assert f"the output {out} is in the --data folder {parts}" in capsys.readouterr().err
        assert not out.exists()
    assert main(["evaluate", "--data", str(parts), "--json", str(parts / "r.json")]) == 2
    assert "is in the --data folder" in capsys.readouterr().err
