#!/usr/bin/env python3
"""Write crates/ftm/data/model.json, our compact copy of the FollowTheMoney model facts.

Input is the JSON printed by `ftm dump-model` (followthemoney from PyPI). We keep only the
structural facts the Rust crate needs (names, labels, types, ranges, reverses, flags,
inheritance, edges) and drop descriptions and examples, which are prose, not model facts.
Inherited properties are not repeated: each schema lists its own and its stub properties,
and the Rust loader resolves inheritance, as FtM itself does.

Run with the Python that has followthemoney installed:
    python gen_model.py > data/model.json
The dump sorts `extends` by name; we keep the declaration order instead, because the first
parent's definition wins when two parents define a property of the same name.
"""
import json
import sys

SCHEMA_FLAGS = ["abstract", "matchable", "generated", "hidden", "deprecated"]


def prop_facts(prop, types):
    ptype = types[prop["type"]]
    out = {"label": prop["label"], "type": prop["type"]}
    for key in ("range", "reverse", "format"):
        if key in prop:
            out[key] = prop[key]
    for flag in ("stub", "hidden", "deprecated"):
        if prop.get(flag):
            out[flag] = True
    # Only record matchability where it differs from the type's default.
    matchable = bool(prop.get("matchable", False))
    if matchable != bool(ptype.get("matchable", False)):
        out["matchable"] = matchable
    if prop["maxLength"] != ptype["maxLength"]:
        out["max_length"] = prop["maxLength"]
    return out


def main():
    from followthemoney import model as ftm_model

    dump = ftm_model.to_dict()
    declared = {s.name: list(s._extends) for s in ftm_model.schemata.values()}
    types = dump["types"]
    out_types = {}
    for name, t in sorted(types.items()):
        facts = {"label": t["label"], "plural": t["plural"], "max_length": t["maxLength"]}
        for key in ("group",):
            if key in t:
                facts[key] = t[key]
        for flag in ("matchable", "pivot"):
            if t.get(flag):
                facts[flag] = True
        if "values" in t:
            facts["values"] = dict(sorted(t["values"].items()))
        out_types[name] = facts
    out_schemata = {}
    for name, s in sorted(dump["schemata"].items()):
        facts = {"label": s["label"], "plural": s["plural"], "extends": declared[name]}
        for flag in SCHEMA_FLAGS:
            if s.get(flag):
                facts[flag] = True
        for key in ("featured", "required", "caption"):
            if s.get(key):
                facts[key] = s[key]
        if "edge" in s:
            facts["edge"] = s["edge"]
        if "temporalExtent" in s:
            facts["temporal_start"] = s["temporalExtent"].get("start", [])
            facts["temporal_end"] = s["temporalExtent"].get("end", [])
        facts["properties"] = {
            pname: prop_facts(p, types) for pname, p in sorted(s["properties"].items())
        }
        out_schemata[name] = facts
    model = {"version": dump["version"], "types": out_types, "schemata": out_schemata}
    json.dump(model, sys.stdout, ensure_ascii=False, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
