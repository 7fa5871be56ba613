"""The error of every invalid scenario input: one line per problem, each naming its file."""

from __future__ import annotations


class ScenarioError(Exception):
    """A scenario file or override is invalid; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems
