#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Validates CycloneDX JSON files against the official 1.5 and 1.6 schemas shipped in the npm
# package @cyclonedx/cyclonedx-library (res/schema/): bom-1.5 and bom-1.6 and the spdx and
# jsf schemas they reference, all resolved from that directory (no network). distill writes
# 1.6 (and, on request, the same document as 1.5: docs/sbom.md); each file must pass both.
import json, os, sys
import jsonschema

schema_dir, files = sys.argv[1], sys.argv[2:]
def load(name):
    with open(os.path.join(schema_dir, name)) as f:
        return json.load(f)
local = {"spdx.schema.json": load("spdx.SNAPSHOT.schema.json"),
         "jsf-0.82.schema.json": load("jsf-0.82.SNAPSHOT.schema.json")}
store = {"http://cyclonedx.org/schema/" + k: v for k, v in local.items()}

def validator(bom):
    cls = jsonschema.validators.validator_for(bom)
    try:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT7
        reg = Registry().with_resources(
            [(u, Resource.from_contents(s, default_specification=DRAFT7)) for u, s in store.items()])
        return cls(bom, registry=reg, format_checker=cls.FORMAT_CHECKER)
    except ImportError:
        return cls(bom, resolver=jsonschema.RefResolver.from_schema(bom, store=store),
                   format_checker=cls.FORMAT_CHECKER)

bad = 0
for ver in ("1.5", "1.6"):
    v = validator(load(f"bom-{ver}.SNAPSHOT.schema.json"))
    for f in files:
        errs = sorted(v.iter_errors(json.load(open(f))), key=lambda e: list(e.path))
        for e in errs[:10]:
            print(f"{f}: bom-{ver}: {list(e.path)}: {e.message[:300]}", file=sys.stderr)
        bad |= bool(errs)
        if not errs:
            print(f"ok   {f} is valid against the CycloneDX {ver} schema")
sys.exit(1 if bad else 0)
