"""The transition table: every action is allowed exactly in its source states."""

from __future__ import annotations

import pytest

from onewindow.cases import workflow
from onewindow.cases.workflow import TRANSITIONS, Action, CaseState, check
from onewindow.core.errors import Conflict


@pytest.mark.parametrize("action", list(TRANSITIONS))
@pytest.mark.parametrize("state", list(CaseState))
def test_every_state_action_pair_follows_the_table(state, action):
    sources, target = TRANSITIONS[action]
    if state in sources:
        assert check(state, action) == (target or state)
    else:
        with pytest.raises(Conflict) as err:
            check(state, action)
        assert err.value.code == "invalid_transition"
        assert str(state.label) in err.value.message and str(action.label) in err.value.message


def test_final_states_allow_nothing():
    for state in workflow.FINAL_STATES:
        assert workflow.allowed_actions(state) == []


def test_every_action_except_create_is_in_the_table():
    assert set(Action) - set(TRANSITIONS) == {Action.CREATE}


def test_the_clock_runs_only_in_review():
    assert workflow.CLOCK_RUNNING == frozenset({CaseState.IN_REVIEW})
