"""Markdown tables from scripts/addressing_results.sh's JSON lines."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1])]
noise_name = {"salt-pepper:0.15": "salt & pepper 15%", "flip:0.15": "bit flips 15%", "occlude:10": "10x10 occlusion", "salt-pepper:0": "clean items"}
def addressing(r):
    plan = r["plan"]
    if r["addressing"] != "optimised":
        return r["addressing"]
    query = "" if plan["optimise_query"] else ", encoder's query address"
    return f"optimised ({plan['search_steps']} step{'s' if plan['search_steps'] > 1 else ''}{query})"


for data in dict.fromkeys(r["run"] for r in rows if r["run"] != "bench"):
    print(f"\n**{data}** ({next(r['queries'] for r in rows if r['run'] == data)} queries per row)\n")
    print("| corruption | addressing | error 0 | after 1 | after 3 | after 10 | monotone | energy after 10 | reads at least as deep as the clean item |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if r["run"] != data:
            continue
        s = r["steps"]
        print(f"| {noise_name.get(r['corruption'], r['corruption'])} | {addressing(r)} | {s[0]['pixel_error']:.4f} | {s[1]['pixel_error']:.4f} | {s[3]['pixel_error']:.4f} | "
              f"{s[10]['pixel_error']:.4f} | {r['monotone_fraction']:.4f} | {s[10]['energy_nats']:.2f} | {r['at_least_as_deep_as_clean_fraction']:.3f} |")
for r in rows:
    if r["run"] == "bench":
        print("\n| read iteration, one query | ms |\n|---|---|")
        for a in ("amortised", "guarded", "optimised"):
            print(f"| {a} | {r[f'read_iteration_{a}_ms']:.3f} |")
        print(f"| (optimised: gradient steps taken) | {r['optimised_search_steps_taken']:.1f} |")
