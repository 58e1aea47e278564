"""The project says under which terms it may be used (Apache-2.0) and what each version changed."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_the_license_is_apache_2_0_in_the_file_and_in_the_package_metadata() -> None:
    text = (ROOT / "LICENSE").read_text()

    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert PROJECT["license"] == "Apache-2.0"


def test_the_changelog_begins_at_the_first_release_and_knows_the_current_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    versions = re.findall(r"^## (\d+\.\d+\.\d+)", text, flags=re.MULTILINE)

    assert versions[-1] == "1.0.0"
    assert PROJECT["version"] in versions
