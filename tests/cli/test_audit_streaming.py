"""`audit --format json|csv` writes rows as it reads them: the same text as printing the whole list at once."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mentorflow import Mentorflow, StorageError
from mentorflow.cli import cli
from mentorflow.cli.admin import CSV_HEADERS, _csv_rows
from mentorflow.demo import build_demo

NOW = "2026-06-01T09:00:00+00:00"


@pytest.fixture
def demo_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    mf = Mentorflow(url)
    mf.upgrade()
    build_demo(mf, dt.datetime.fromisoformat(NOW))
    mf.engine.dispose()
    return url


def audit(url: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", url, "--now", NOW, "audit", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("filters", [[], ["--program", "lab-groups-2026"], ["--overdue"]])
def test_streamed_json_is_the_whole_list_dumped(demo_db: str, filters: list[str]) -> None:
    mf = Mentorflow(demo_db, clock=lambda: dt.datetime.fromisoformat(NOW))
    rows = mf.audit(program="lab-groups-2026" if "--program" in filters else None, overdue="--overdue" in filters)
    expected = json.dumps([row.to_dict() for row in rows], indent=2, ensure_ascii=False)
    assert audit(demo_db, *filters, "--format", "json") == expected + "\n"


def test_streamed_csv_is_the_whole_table_written(demo_db: str) -> None:
    mf = Mentorflow(demo_db, clock=lambda: dt.datetime.fromisoformat(NOW))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADERS)
    writer.writerows(_csv_rows(mf.audit()))
    assert audit(demo_db, "--format", "csv") == buffer.getvalue()


def test_iter_audit_gives_the_rows_of_audit(demo_db: str) -> None:
    mf = Mentorflow(demo_db, clock=lambda: dt.datetime.fromisoformat(NOW))
    assert list(mf.iter_audit(stalled_days=10)) == mf.audit(stalled_days=10)
    with pytest.raises(Exception, match="stalled days must be a whole number from 0 to 36600"):
        mf.iter_audit(stalled_days=-1)  # checked at the call, before any row is read


def test_a_failed_audit_leaves_no_half_written_file(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows go to a side file that replaces the target only once the audit has finished."""
    target = tmp_path / "audit.json"
    target.write_text("yesterday's audit\n", encoding="utf-8")
    real = Mentorflow.iter_audit

    def failing(self: Mentorflow, **kwargs: object) -> object:
        rows = real(self, **kwargs)  # type: ignore[arg-type]

        def broken() -> object:
            yield next(rows)
            raise StorageError("the database went away")

        return broken()

    monkeypatch.setattr(Mentorflow, "iter_audit", failing)
    result = CliRunner().invoke(
        cli, ["--db", demo_db, "--now", NOW, "audit", "--format", "json", "--output", str(target)]
    )
    assert result.exit_code == 1
    assert "the database went away" in result.output
    assert target.read_text(encoding="utf-8") == "yesterday's audit\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []
