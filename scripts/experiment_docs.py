"""Splices `kanerva experiment table docs/experiments/NAME.json` into docs/experiments.md, in
place of the block that starts at NAME's "Made by" line and ends before the next "## " heading.
An experiment with no section yet gets one at the end (title, paper, claim, both protocols).
Usage: python3 scripts/experiment_docs.py KANERVA NAME [NAME ...]"""
import json
import subprocess
import sys

kanerva, names = sys.argv[1], sys.argv[2:]
path = "docs/experiments.md"
doc = open(path, encoding="utf-8").read()
specs = {e["name"]: e for e in json.loads(subprocess.run([kanerva, "experiment", "list", "--json"], check=True, capture_output=True, text=True).stdout)}
for name in names:
    table = subprocess.run([kanerva, "experiment", "table", f"docs/experiments/{name}.json"], check=True, capture_output=True, text=True).stdout
    block = "Made by " + table.rstrip("\n") + "\n"
    start = doc.find(f"Made by `kanerva experiment run {name} ")
    if start < 0:
        e = specs[name]
        doc = doc.rstrip("\n") + (
            f"\n\n## {e['title']} (`{name}`)\n\n**Paper**: {e['paper']}. **Claim**: {e['claim']}\n\n"
            f"**The paper's protocol**: {e['protocol_paper']}\n\n**Ours**: {e['protocol_ours']}\n\n{block}"
        )
        continue
    end = doc.find("\n## ", start)
    end = len(doc) if end < 0 else end + 1
    doc = doc[:start] + block + ("\n" if end < len(doc) else "") + doc[end:]
open(path, "w", encoding="utf-8").write(doc)
print(f"{path}: tables of {', '.join(names)} spliced", file=sys.stderr)
