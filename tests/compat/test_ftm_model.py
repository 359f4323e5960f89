"""`aleph ftm dump-model` must agree with `ftm dump-model` on every structural fact."""
import json

from conftest import run

# Prose we do not carry (see crates/ftm/tools/gen_model.py).
PROSE = {"description", "examples"}


def strip_prose(value, in_properties=False):
    """Drop prose keys from schema, property and type objects (but not a property that
    happens to be named `description`)."""
    if isinstance(value, dict):
        return {
            k: strip_prose(v, in_properties=(k == "properties" and not in_properties))
            for k, v in value.items()
            if in_properties or k not in PROSE
        }
    if isinstance(value, list):
        return [strip_prose(v) for v in value]
    return value


def differences(ours, theirs, path="model"):
    """Every place where the two documents disagree, as readable lines."""
    out = []
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in sorted(set(ours) | set(theirs)):
            if key not in ours:
                out.append(f"{path}.{key}: missing in aleph (ftm has {theirs[key]!r:.80})")
            elif key not in theirs:
                out.append(f"{path}.{key}: extra in aleph ({ours[key]!r:.80})")
            else:
                out.extend(differences(ours[key], theirs[key], f"{path}.{key}"))
    elif ours != theirs:
        out.append(f"{path}: aleph {ours!r:.80} != ftm {theirs!r:.80}")
    return out


def test_dump_model_agrees(aleph, ftm):
    ours = json.loads(run([aleph, "ftm", "dump-model"]).stdout)
    theirs = strip_prose(json.loads(run([ftm, "dump-model"]).stdout))
    diff = differences(ours, theirs)
    assert not diff, "model differences:\n" + "\n".join(diff[:200])
    assert len(ours["schemata"]) == 71
    assert len(ours["types"]) == 20
