from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeBase, Matcher, load_knowledge_base

TESTS_DIR = Path(__file__).resolve().parent
PROJECT_DIR = TESTS_DIR.parent
SHARED_EVAL = PROJECT_DIR.parent / "shared" / "eval" / "dev.yaml"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="session")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)
