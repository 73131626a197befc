"""Every command that opens the campaign store to write (and so migrates one at an older
schema) is named in ``store_schema.MIGRATING_COMMANDS``, which the readers' refusal
(``store.MIGRATED_BY``) and README list: ``train --events`` and ``forget --store`` migrated a
store ("note: migrated the campaign store ... from schema 5 to 12") though neither list named
them, so an operator upgrading in place did not know to stop the old engines first.

Oracle: the openers found in the source by how they open the store (a call of ``open_store``,
``CampaignStore``, the CLI's ``_store`` or ``copy_store._opened`` without ``read_only=True``),
each mapped here to the command that runs it; and two commands run on a store left at schema 3,
its ``schema_version`` read back with the sqlite3 module."""

from __future__ import annotations

import ast
import re
import sqlite3
from pathlib import Path

import pytest
from helpers import run_cli as run

from recommender.campaigns import store as store_mod
from recommender.campaigns.store import open_store
from recommender.campaigns.store_schema import MIGRATING_COMMANDS, READING_COMMANDS

ROOT = Path(__file__).resolve().parents[2]
OPENERS = {"open_store", "CampaignStore", "_store", "_opened"}
#: (module, function) opening the store to write -> the command that runs it
WRITERS = {
    ("recommender/campaigns/copy_store.py", "copy_store"): "campaign copy's target",
    ("recommender/campaigns/training_events.py", "with_stored_events"): "train --events",
    ("recommender/cli/training.py", "cmd_train"): "train --events",
    ("recommender/cli/input_warnings.py", "_erased"): "train --events",
    ("recommender/cli/campaign_views.py", "campaign_list"): "campaign list",
    ("recommender/cli/campaign_views.py", "campaign_show"): "campaign show",
    ("recommender/cli/campaigns.py", "cmd_plan"): "plan",
    ("recommender/cli/next_wave.py", "cmd_plan_after"): "plan",
    ("recommender/cli/events.py", "_read_and_import"): "events import",
    ("recommender/cli/events.py", "cmd_campaign"): "campaign report",
    ("recommender/cli/forget.py", "cmd_forget"): "forget",
    ("recommender/cli/forget.py", "store_now"): "forget",  # cmd_forget's, opened once needed
    ("recommender/cli/wave_sent.py", "cmd_campaign_sent"): "campaign sent",
    ("recommender/cli/withdraw.py", "cmd_campaign_withdraw"): "campaign withdraw",
}
#: writers that never meet an older schema, and why
CURRENT_ONLY = {
    ("recommender/campaigns/moved.py", "mark_moved"):
        "campaign copy marks its source, which copy_store opened read-only first (an older "
        "schema refused)",
}
#: openers passing their caller's ``read_only`` on
PASSING = {("recommender/campaigns/store.py", "open_store"),
           ("recommender/campaigns/copy_store.py", "_opened"),
           ("recommender/cli/stores.py", "_store")}


def openers() -> dict[tuple[str, str], str]:
    """Each (module, function) that calls an opener: "writer", "reader" or "passing"."""
    found: dict[tuple[str, str], str] = {}
    for room in ("recommender/cli", "recommender/campaigns"):
        for path in sorted((ROOT / room).glob("*.py")):
            rel = str(path.relative_to(ROOT))
            for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for call in ast.walk(fn):
                    if not isinstance(call, ast.Call):
                        continue
                    f = call.func
                    name = f.id if isinstance(f, ast.Name) else \
                        f.attr if isinstance(f, ast.Attribute) else None
                    if name not in OPENERS:
                        continue
                    given = {k.arg: k.value for k in call.keywords}.get("read_only")
                    if given is None and name in ("open_store", "CampaignStore") \
                            and len(call.args) > 1:
                        given = call.args[1]
                    kind = ("writer" if given is None else "reader"
                            if isinstance(given, ast.Constant) and given.value is True
                            else "passing")
                    if found.get((rel, fn.name)) != "writer":
                        found[(rel, fn.name)] = kind
    return found


def test_every_command_that_opens_the_store_to_write_is_named() -> None:
    found = openers()
    writers = {k for k, v in found.items() if v == "writer"}
    assert writers == set(WRITERS) | set(CURRENT_ONLY), \
        "an opener that writes: name its command here and in MIGRATING_COMMANDS"
    assert {k for k, v in found.items() if v == "passing"} == PASSING
    assert sorted(set(WRITERS.values())) == sorted(MIGRATING_COMMANDS)
    # the readers' refusal and README say the same list
    for command in MIGRATING_COMMANDS + READING_COMMANDS:
        assert command in store_mod.MIGRATED_BY, command
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(r"every command that opens the store to write or to list its\s+plans "
                     r"\((.*?)\);", readme, re.S)
    assert said, "README's list of the commands that migrate the store"
    listed = re.findall(r"`([^`]+)`", said.group(1))
    assert listed == list(MIGRATING_COMMANDS), listed


def versions(db: Path) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [v for (v,) in conn.execute("select version from schema_version order by 1")]


def old_store(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        m.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS[:3])
        open_store(str(db)).close()
    assert versions(db) == [1, 2, 3]


def test_train_events_and_forget_migrate_an_older_store_as_listed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    latest = store_mod.MIGRATIONS[-1][0]
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id,rating\n" + "".join(
        f"u{u},f{(u * 7 + k) % 12},{1 + (u + k) % 5}\n" for u in range(30) for k in range(4)))
    for command, argv in (
            ("train --events", ["train", "--data", log, "--out", tmp_path / "m", "--no-tune",
                                "--factors", "4", "--iterations", "2", "--events"]),
            ("forget", ["forget", "--user", "u1", "--store"])):
        db = tmp_path / f"{command.split()[0]}.db"
        old_store(db, monkeypatch)
        code, _, err = run(capsys, *argv, db)
        assert code == 0, err
        assert versions(db)[-1] == latest, command
        assert f"from schema 3 to {latest}" in err, err
        assert command in MIGRATING_COMMANDS
