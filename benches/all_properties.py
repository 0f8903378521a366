#!/usr/bin/env python3
"""Writes an etc/grid/config.xml that sets every property of the catalogue
(schemas/omero-web-settings.schema.json) to its documented default (or to
an empty value where there is none).

Usage: all_properties.py OUTPUT
"""
import json
import os
import sys
from xml.sax.saxutils import quoteattr

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "schemas", "omero-web-settings.schema.json")

catalogue = json.load(open(SCHEMA, encoding="utf-8"))["properties"]
# OMERO keeps the active profile's properties in __ACTIVE__ (and a copy under
# the profile's own name).
lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<icegrid>", '  <properties id="__ACTIVE__">',
         '    <property name="omero.config.profile" value="default"/>']
count = 0
for name, spec in sorted(catalogue.items()):
    default = spec.get("x-omero", {}).get("default")
    # Properties without a default get an empty value, as `omero config set KEY ""` would.
    value = "" if default is None else default if isinstance(default, str) else json.dumps(default)
    lines.append(f"    <property name={quoteattr(name)} value={quoteattr(value)}/>")
    count += 1
lines += ["  </properties>", "</icegrid>", ""]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("\n".join(lines))
print(f"{sys.argv[1]}: {count} properties", file=sys.stderr)
