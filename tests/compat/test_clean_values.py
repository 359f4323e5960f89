"""The committed expected outputs of the value-cleaning parity test match FtM."""
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "clean_values.py"


def test_expected_values_are_current():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
