"""The system prompt and the tool are plain formatting: checked here without a database."""

from types import SimpleNamespace

from coach.prompt import catalog_section, propose_trial_tool, system_prompt, trials_section
from models_catalog.registry import CATALOG


def test_every_catalog_entry_is_one_compact_line_grouped_by_family():
    section = catalog_section(definition.as_dict() for definition in CATALOG.values())

    lines = [line for line in section.splitlines() if line.startswith("- ")]
    assert len(lines) == len(CATALOG) >= 140
    assert "### forest" in section and "### linear" in section
    assert (
        "- random_forest_classifier (direction): n_estimators=200 [10..2000], max_depth=6 [1..64], "
        "min_samples_leaf=20 [1..1000], max_features=sqrt {sqrt|log2|all}, n_jobs=1 [1..16]"
    ) in lines
    assert len(section) < 30_000


def test_trials_show_their_key_metrics():
    trial = SimpleNamespace(
        pk=4,
        name="",
        model_key="ridge",
        params={"alpha": 2.0},
        data={"symbol": "SPX", "start": "2010-01-01", "end": None, "horizon": 1},
        validation={"folds": 5},
        target="return",
        status="succeeded",
        metrics={"sharpe": 0.41234, "directional_accuracy": 0.52, "rmse": 0.0112, "mae": 0.008},
        error="",
    )

    line = trials_section([trial]).splitlines()[1]

    assert line == (
        '- #4 ridge: ridge {"alpha": 2.0} on SPX 2010-01-01 to end, target return, horizon 1, folds 5: '
        "succeeded (sharpe 0.4123, directional_accuracy 0.52, rmse 0.0112)"
    )


def test_an_empty_goal_asks_the_coach_to_ask():
    prompt = system_prompt(catalog=[], datasets=[], goal="  ", trials=[])

    assert "(no goal given: ask the team what it wants to achieve)" in prompt
    assert "- none: the team has no data yet" in prompt and "- none yet" in prompt


def test_the_tool_bounds_folds_by_the_setting():
    tool = propose_trial_tool(max_folds=12)

    assert tool["name"] == "propose_trial"
    assert tool["input_schema"]["properties"]["validation"]["properties"]["folds"] == {
        "type": "integer",
        "minimum": 2,
        "maximum": 12,
    }
    assert set(tool["input_schema"]["required"]) == {"name", "model", "data", "validation", "rationale"}
