"""Markdown tables from scripts/pkm_scaling.sh's JSON lines: the bounds against T per machine
count, and the clustering of test images to machines.
Usage: python3 scripts/pkm_scaling_table.py runs/pkm_scaling.jsonl"""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
bounds = [r for r in rows if "T" in r]
clusters = {r["machines"]: r for r in rows if "clustering_nmi" in r}
ts = sorted({r["T"] for r in bounds})
print("| N × K | steps | seconds | " + " | ".join(f"T = {t}: joint / conditional" for t in ts) + " | NMI (shuffled labels) |")
print("|---|---|---|" + "---|" * len(ts) + "---|")
for n in sorted({r["machines"] for r in bounds}):
    mine = {r["T"]: r for r in bounds if r["machines"] == n}
    first = mine[ts[0]]
    seconds = first.get("train_seconds", first.get("train_minutes", 0) * 60)
    cells = " | ".join(f"{mine[t]['joint']:.2f} / {mine[t]['conditional']:.2f}" for t in ts)
    c = clusters.get(n, {})
    nmi = f"{c['clustering_nmi']:.3f} ({c['nmi_shuffled_labels']:.3f})" if c.get("clustering_nmi") is not None else "–"
    print(f"| {n} × {first['slots_per_machine']} | {first['train_steps']} | {seconds:.0f} | {cells} | {nmi} |")
