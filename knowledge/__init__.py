"""The knowledge base and its matcher: a pure library, no Telegram and no database."""

from knowledge.answer import Answer, Suggestion
from knowledge.loader import DEFAULT_DATA_DIR, KnowledgeBase, KnowledgeBaseError, Problem, load_knowledge_base
from knowledge.matcher import Matcher

__all__ = [
    "DEFAULT_DATA_DIR",
    "Answer",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Matcher",
    "Problem",
    "Suggestion",
    "load_knowledge_base",
]
