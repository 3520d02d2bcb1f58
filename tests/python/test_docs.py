"""docs/python.md's examples run as they are: every ```python block, each
in a new interpreter, in an empty directory."""
import os
import re

import pytest

from conftest import PIKOS_SRCDIR, run_python

DOC = os.path.join(PIKOS_SRCDIR, "docs", "python.md")


def python_blocks():
    with open(DOC, encoding="utf-8") as stream:
        text = stream.read()
    return re.findall(r"^```python\n(.*?)^```$", text, re.M | re.S)


BLOCKS = python_blocks()


def test_the_page_has_examples():
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_example_runs(number, tmp_path):
    result = run_python(BLOCKS[number], tmp_path)
    assert result.returncode == 0, \
        f"example {number + 1} failed:\n{BLOCKS[number]}\n{result.stderr}"
    assert result.stderr == ""
