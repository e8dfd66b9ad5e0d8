"""Tabulates scripts/controls_table.sh's JSON lines: recall error with the no-write and
other-episode controls beside the trivial answers and the memory's size.
Usage: python3 scripts/controls_tables.py runs/controls_occlude.jsonl"""
import json
import sys

rows = {}
for line in open(sys.argv[1]):
    v = json.loads(line)
    p = v["points"][0]
    rows.setdefault(v["model"], {})[v["control"]] = p
print("| memory | recall error | no-write | other episode | query | blank page | numbers held |")
print("|---|---|---|---|---|---|---|")
for model, by in rows.items():
    p = by["none"]
    print(f"| {model} | {p['recall_error']:.4f} | {by['no-write']['recall_error']:.4f} | {by['other-episode']['recall_error']:.4f} | {p['query_error']:.4f} | {p['blank_error']:.4f} | {p['memory_floats']:,} |")
