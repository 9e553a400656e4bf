"""JUnit XML for scenario results, so CI systems show each scenario as a test case."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path


def write_junit(results, path: Path) -> None:
    failures = sum(not r.passed for r in results)
    suite = ET.Element("testsuite", name="elastic-pack scenarios", tests=str(len(results)),
                       failures=str(failures), errors="0")
    for result in results:
        case = ET.SubElement(suite, "testcase", classname="scenarios", name=result.scenario.name)
        if not result.passed:
            failure = ET.SubElement(case, "failure", message="; ".join(result.problems))
            failure.text = "\n".join(result.problems)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
