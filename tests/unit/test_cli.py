from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import PROJECT_DIR


def ask_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["ask", "--json", *args]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # exactly one JSON object
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def test_ask_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    data = ask_json(capsys, "wat doet een SOL")
    assert data["matched"] == "rol:schoolopleider"
    assert data["fallback"] is False
    assert set(data) == {"answer", "confidence", "matched", "fallback", "suggestions", "partnership"}


def test_ask_with_partnership(capsys: pytest.CaptureFixture[str]) -> None:
    data = ask_json(capsys, "--partnership", "groningen-kop-van-drenthe", "hoeveel studenten")
    assert "180" in str(data["answer"])
    assert data["partnership"] == "groningen-kop-van-drenthe"


def test_ask_unknown_partnership_is_a_clear_error() -> None:
    with pytest.raises(SystemExit, match="Onbekend partnerschap"):
        main(["ask", "--partnership", "verzonnen", "vraag"])


@pytest.mark.parametrize("question", ["", "x" * 10_000, "🙂🙂🙂", "<script>alert(1)</script>"])
def test_ask_bad_input_never_crashes(capsys: pytest.CaptureFixture[str], question: str) -> None:
    data = ask_json(capsys, question)
    assert data["fallback"] is True
    assert str(data["answer"]).strip()  # an explanation, never an empty reply


def test_eval_reports_per_tag_and_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = tmp_path / "set.yaml"
    cases.write_text(
        "cases:\n"
        "  - {q: 'wat is intervisie', expect: begrip:intervisie, tag: begrip}\n"
        "  - {q: 'wat is intervisie', expect: [rol:mentor, rol:directeur], tag: fout}\n"
        "  - {q: 'hoe maak ik soep', fallback: true, tag: buiten}\n",
        encoding="utf-8",
    )
    assert main(["eval", str(cases)]) == 0
    out = capsys.readouterr().out
    assert "FOUT (fout): 'wat is intervisie'" in out
    assert "verwacht rol:mentor of rol:directeur, kreeg begrip:intervisie" in out
    assert "totaal: 2/3 goed (66.7%)" in out
    assert main(["eval", str(cases), "--min-accuracy", "0.9"]) == 1
    assert main(["eval", str(cases), "--min-accuracy", "0.5"]) == 0


def test_eval_rejects_a_malformed_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = tmp_path / "set.yaml"
    cases.write_text("cases:\n  - {vraag: 'x'}\n", encoding="utf-8")
    assert main(["eval", str(cases)]) == 2
    assert "geen vraag 'q'" in capsys.readouterr().err


def test_module_entry_point_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "wat is lesson study"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout)["matched"] == "begrip:lesson-study"


@pytest.mark.parametrize("command", [["ask", "wat is intervisie"], ["kb", "validate"]])
def test_quick_commands_import_neither_telegram_nor_the_database(command: list[str]) -> None:
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        f"main({command!r})\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "heavy = sorted(loaded & {'telegram', 'sqlalchemy', 'aiohttp', 'httpx', 'matplotlib', 'openpyxl'})\n"
        "print('ZWAAR', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    assert "ZWAAR []" in result.stdout
