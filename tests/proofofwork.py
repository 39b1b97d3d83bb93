"""A solved ALTCHA challenge, as the widget would post it: tests that send a visitor's form add
``**solved()`` to the form's data. The challenge is the site's own, solved for real by the altcha
package's solver (the test settings make the work cheap: ALTCHA_COST)."""

from __future__ import annotations

import altcha

from contributions.proofofwork import FIELD, new_challenge


def solution(challenge: dict | None = None) -> str:
    """The base64 payload for ``challenge`` (a new one of the site's by default)."""
    challenge = altcha.Challenge.from_dict(challenge or new_challenge())
    solved = altcha.solve_challenge(challenge, timeout=30)
    assert solved is not None, "the challenge could not be solved"
    return altcha.Payload(challenge, solved).to_base64()


def solved() -> dict[str, str]:
    return {FIELD: solution()}
