"""The roles a user can choose in onboarding, and which of them work at a school."""

from __future__ import annotations

ROLES: dict[str, str] = {
    "student": "student",
    "mentor": "mentor",
    "schoolopleider": "schoolopleider",
    "instituutsopleider": "instituutsopleider",
    "boc": "bovenschools opleidingscoördinator",
    "directeur": "directeur",
    "relatiebeheerder": "relatiebeheerder",
    "studiecoach": "studiecoach",
    "coordinator": "coördinator",
}
ROLES_AT_A_SCHOOL = frozenset({"student", "mentor", "schoolopleider", "directeur"})
