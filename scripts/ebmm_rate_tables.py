"""Markdown tables from scripts/ebmm_rate.sh's tagged JSON lines: distortion/rate (recall error
against memory floats, 16 held-out Omniglot characters), the EBMM's load curve with its no-write
control, and random binary strings at an equal parameter budget.
Usage: python3 scripts/ebmm_rate_tables.py runs/ebmm_rate.jsonl"""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
by_tag = {r["tag"]: r for r in rows}

print("Distortion / rate: 16 stored, 10 reads; recall error (memory floats)\n")
print("| memory | occlusion 10 x 10 | salt and pepper 20% | floats |")
print("|---|---|---|---|")
names = sorted({r["tag"].split(" ", 1)[1].rsplit(" ", 1)[0] for r in rows if r["tag"].startswith("rate ")},
               key=lambda n: by_tag[f"rate {n} occlude:10"]["points"][0]["memory_floats"] if f"rate {n} occlude:10" in by_tag else 0)
for name in names:
    cells = []
    floats = None
    for noise in ["occlude:10", "salt-pepper:0.2"]:
        r = by_tag.get(f"rate {name} {noise}")
        point = r["points"][0] if r else None
        cells.append(f"{point['recall_error']:.4f}" if point else "–")
        floats = floats or (point and point["memory_floats"])
    print(f"| {name} | {cells[0]} | {cells[1]} | {floats:,} |")

print("\nThe EBMM (H = 128) against the load, occlusion 10 x 10: recall error (query, blank page)\n")
load = {c: by_tag.get(f"load ebmm {c}") for c in ["none", "no-write"]}
if load["none"]:
    print("| stored | written | nothing written | query | blank page |")
    print("|---|---|---|---|---|")
    for p, q in zip(load["none"]["points"], load["no-write"]["points"] if load["no-write"] else load["none"]["points"]):
        print(f"| {p['stored']} | {p['recall_error']:.4f} | {q['recall_error']:.4f} | {p['query_error']:.4f} | {p['blank_error']:.4f} |")

print("\nRandom binary strings (unbiased 28 x 28), 10% bits flipped: recall error\n")
random_tags = [t for t in by_tag if t.startswith("random ")]
if random_tags:
    stored = [p["stored"] for p in by_tag[random_tags[0]]["points"]]
    print("| memory | floats | " + " | ".join(str(s) for s in stored) + " |")
    print("|---|---|" + "---|" * len(stored))
    for t in random_tags:
        points = by_tag[t]["points"]
        print(f"| {t[len('random '):]} | {points[0]['memory_floats']:,} | " + " | ".join(f"{p['recall_error']:.4f}" for p in points) + " |")
