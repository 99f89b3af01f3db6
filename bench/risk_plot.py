"""Risk-coverage plot (SVG, no plotting library): for every threshold, the share of in-scope
questions answered with the fact (y) against the wrong-answer rate (x), one line per set (one
threshold for every kind of answer), and each set's operating point (the model card's thresholds,
one per kind of item) marked. Reads the results of `bench.reader` and the shipped model card.

    .venv/bin/python -m bench.risk_plot [--results bench/results/reader.json] [--out docs/risk_coverage.svg]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.common import REPO, RESULTS

W, H, PAD = 640, 420, 56
COLOURS = ["#1f5f99", "#b3541e", "#2f7d32", "#7b3f9e", "#8a6d00", "#555555"]


def _xy(wrong: float, fact: float, x_max: float) -> tuple[float, float]:
    return PAD + wrong / x_max * (W - 2 * PAD), H - PAD - fact * (H - 2 * PAD)


def svg(lines: list[tuple[str, list[dict], dict]], legend: str, x_max: float = 0.5) -> str:
    """`lines`: (name, risk-coverage table, operating point {"wrong_rate", "fact_in_scope"})."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="black"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="black"/>',
        f'<text x="{W / 2}" y="{H - 14}" text-anchor="middle">wrong-answer rate (answered without the fact, '
        f"or out of scope) / all questions</text>",
        f'<text x="16" y="{H / 2}" transform="rotate(-90 16 {H / 2})" text-anchor="middle">'
        f"in-scope questions answered with the fact</text>",
    ]
    for i in range(6):
        x, _ = _xy(x_max * i / 5, 0, x_max)
        _, y = _xy(0, i / 5, x_max)
        out.append(f'<text x="{x}" y="{H - PAD + 16}" text-anchor="middle">{x_max * i / 5:.1f}</text>')
        out.append(f'<text x="{PAD - 6}" y="{y + 4}" text-anchor="end">{i / 5:.1f}</text>')
    x5, _ = _xy(0.05, 0, x_max)
    out.append(f'<line x1="{x5}" y1="{PAD}" x2="{x5}" y2="{H - PAD}" stroke="#999" stroke-dasharray="4 3"/>')
    out.append(f'<text x="{x5 + 4}" y="{PAD + 12}" fill="#666">5%</text>')
    for n, (name, table, at) in enumerate(lines):
        colour = COLOURS[n % len(COLOURS)]
        points = [_xy(min(r["wrong_rate"], x_max), r["fact_in_scope"], x_max) for r in table]
        out.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>'
        )
        x, y = _xy(min(at["wrong_rate"], x_max), at["fact_in_scope"], x_max)
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>')
        out.append(f'<text x="{W - PAD - 200}" y="{PAD + 16 * n}" fill="{colour}">— {name}</text>')
    out.append(f'<text x="{W - PAD - 200}" y="{PAD + 16 * len(lines)}">● {legend}</text>')
    out.append("</svg>")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--results", type=Path, default=RESULTS / "reader.json")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "risk_coverage.svg")
    args = p.parse_args(argv)
    result = json.loads(args.results.read_text(encoding="utf-8"))
    card = json.loads((REPO / "knowledge" / "reader" / "model" / "card.json").read_text(encoding="utf-8"))
    lines = [
        (s["name"], s["risk_coverage"], {"wrong_rate": s["wrong_rate"], "fact_in_scope": s["fact_in_scope"]})
        for s in result["sets"]
        if s["name"].startswith("held-out")
    ]
    kinds = ", ".join(f"{k} {v:.2f}" for k, v in (card.get("thresholds") or {}).items())
    args.out.write_text(svg(lines, f"operating point ({kinds}; other {card['threshold']:.2f})"), encoding="utf-8")
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
