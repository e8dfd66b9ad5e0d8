#!/usr/bin/env python3
"""Markdown tables from the JSON lines of scripts/family_results.sh (docs/family.md)."""
import json
import sys

rows = {}
for path in sys.argv[1:]:
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            r = json.loads(line)
            rows[r["run"]] = r

def get(run, key, fmt="{:.2f}"):
    r = rows.get(run)
    if r is None or key not in r:
        return "–"
    return fmt.format(r[key])

models = [m for m in ["dkm", "km", "kpp", "pkm"] if f"eval mnist {m}" in rows]
names = {"dkm": "DKM", "km": "KM", "kpp": "K++", "pkm": "PKM"}

print("### Bound (nats per image, lower is better)\n")
print("| model | steps (MNIST / Omniglot) | MNIST test: −ELBO sampled / means | IWAE-10 | Omniglot 864..964: −ELBO sampled / means | IWAE-10 |")
print("|---|---|---|---|---|---|")
for m in models:
    steps = f"{get(f'eval mnist {m}', 'checkpoint_steps', '{}')} / {get(f'eval omniglot {m}', 'checkpoint_steps', '{}')}"
    print(f"| {names[m]} | {steps} | {get(f'eval mnist {m}', 'nats_per_image')} / {get(f'eval mnist {m} mean', 'nats_per_image')} | {get(f'iwae10 mnist {m}', 'iwae_nats_per_image')} | {get(f'eval omniglot {m}', 'nats_per_image')} / {get(f'eval omniglot {m} mean', 'nats_per_image')} | {get(f'iwae10 omniglot {m}', 'iwae_nats_per_image')} |")

print("\n### Terms (MNIST test, sampled)\n")
print("| model | terms |")
print("|---|---|")
skip = {"run", "data", "model", "episodes", "episode_size", "sampled_w", "checkpoint_steps", "clustering", "machine_usage"}
for m in models:
    r = rows.get(f"eval mnist {m}", {})
    terms = ", ".join(f"{k} {v:.2f}" for k, v in r.items() if k not in skip and isinstance(v, float))
    print(f"| {names[m]} | {terms} |")

print("\n### Denoising: pixel error query -> 1 -> 10 mode iterations (energy did not rise in)\n")
print("| model | data | salt & pepper 15% | bit flips 15% | clean stored items |")
print("|---|---|---|---|---|")
for m in models:
    for data in ["mnist", "omniglot"]:
        cells = []
        for noise in ["salt-pepper:0.15", "flip:0.15", "flip:0"]:
            r = rows.get(f"denoise {data} {m} {noise}")
            if r is None:
                cells.append("–")
                continue
            s = r["steps"]
            mono = r.get("monotone_fraction")
            cells.append(f"{s[0]['pixel_error']:.4f} -> {s[1]['pixel_error']:.4f} -> {s[-1]['pixel_error']:.4f} ({100 * mono:.1f}%)" if mono is not None else "–")
        print(f"| {names[m]} | {data} | " + " | ".join(cells) + " |")

if any(k.startswith("capacity") for k in rows):
    print("\n### Capacity: −ELBO per image as the episode grows (MNIST test, 50 episodes, 32 slots in all)\n")
    print("| model | T = 32 | T = 64 | T = 128 |")
    print("|---|---|---|---|")
    for m in ["dkm", "pkm"]:
        print(f"| {names[m]} | " + " | ".join(get(f"capacity mnist {m} T={t}", "nats_per_image") for t in [32, 64, 128]) + " |")

if any(k.startswith("sweep") for k in rows):
    print("\n### 16 held-out Omniglot characters stored: recall error after 10 reads\n")
    print("| memory | occlude 10x10 | salt & pepper 15% |")
    print("|---|---|---|")
    for m in ["ebmm", "hopfield", "hopfield-pinv", "modern-hopfield", "dkm"]:
        cells = []
        for noise in ["occlude:10", "salt-pepper:0.15"]:
            r = rows.get(f"sweep {m} {noise}")
            cells.append(f"{r['points'][0]['recall_error']:.4f} (query {r['points'][0]['query_error']:.4f})" if r else "–")
        print(f"| {m} | " + " | ".join(cells) + " |")

for key in ["memory gain mnist kpp", "memory gain omniglot kpp", "eval mnist pkm 25min", "eval mnist kpp 25min", "denoise omniglot ebmm occlude:10 T=16", "denoise omniglot ebmm salt-pepper:0.15 T=16"]:
    if key in rows:
        print(f"\n{key}: {json.dumps({k: v for k, v in rows[key].items() if k != 'run'})}")
for n in [8, 16, 32, 64]:
    for m in ["ebmm", "hopfield"]:
        r = rows.get(f"rate {m} stored={n}")
        if r:
            print(f"rate {m} stored={n}: recall {r['points'][0]['recall_error']:.4f}")
if "eval mnist pkm" in rows:
    r = rows["eval mnist pkm"]
    print(f"\nPKM MNIST usage {r.get('machine_usage')}, clustering {r.get('clustering')}")
if "eval omniglot pkm" in rows:
    r = rows["eval omniglot pkm"]
    print(f"PKM Omniglot usage {r.get('machine_usage')}, clustering {r.get('clustering')}")
