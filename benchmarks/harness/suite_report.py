"""The public suite's report: ``suite.md``, per-table ARI, the means and ranks, the
default model's verdict against the classical methods, and the leave-tables-out choice."""

from __future__ import annotations

from benchmarks.harness.suite import DEFAULT, leave_tables_out, verdict
from dec.utils.markdown import markdown_table

TITLES = {
    "kmeans": "KMeans",
    "gmm_bic": "GMM (BIC)",
    "ward": "Ward",
    "ae_kmeans": "AE+KMeans",
    DEFAULT: "dec (default)",
}


def suite_markdown(tables: dict, meta: dict, variants: dict | None = None) -> str:
    """Per-table ARI (all rows), the means, ranks and the default model's verdict."""
    methods = list(next(iter(tables.values()))["methods"])
    titles = [TITLES.get(m, m) for m in methods]
    deep = [DEFAULT, *(variants or {})]
    lines = [
        "# The public suite",
        "",
        f"{meta['date']}, {meta['machine']}; seeds {', '.join(map(str, meta['seeds']))}; "
        f"{meta['minutes']:.0f} minutes in all. k = the number of classes; every method "
        "fitted on the same preprocessed training rows (70 %); ARI on all rows, mean ± "
        "std over seeds (the test rows alone: `suite.json`, `ari_test_mean`). "
        "**Bold**: the best method on the table.",
        "",
    ]
    for key, overrides in (variants or {}).items():
        lines.append(f"- `{key}`: {' '.join(overrides)}")
    rows = []
    for name, table in tables.items():
        m = table["methods"]
        best = max(methods, key=lambda x: m[x]["ari_mean"])
        cells = [
            f"**{m[x]['ari_mean']:.3f}**" if x == best else f"{m[x]['ari_mean']:.3f}"
            for x in methods
        ]
        rows.append(
            [
                name,
                table["n"],
                table["d"],
                table["k"],
                *cells,
                f"{m[DEFAULT]['seed_ari']:.2f}",
                f"{m[DEFAULT]['fit_seconds']:.1f}",
            ]
        )
    judged = {key: verdict(tables, key) for key in deep}
    first = judged[DEFAULT]
    top = max(methods, key=lambda x: first["mean_ari"][x])
    rows.append(
        [
            "**mean**",
            "",
            "",
            "",
            *(
                f"**{first['mean_ari'][x]:.3f}**" if x == top else f"{first['mean_ari'][x]:.3f}"
                for x in methods
            ),
            f"{first['median_seed_ari']:.2f} (median)",
            "",
        ]
    )
    rows.append(
        ["mean rank", "", "", "", *(f"{first['mean_rank'][x]:.2f}" for x in methods), "", ""]
    )
    lines += [
        "",
        markdown_table(
            ["table", "n", "d", "k", *titles, "dec seed-to-seed ARI", "dec seconds"], rows
        ),
        "",
    ]
    lines += ["## Against the better of KMeans and the BIC-chosen GMM, per table", ""]
    lines.append(
        markdown_table(
            [
                "model",
                "mean ARI",
                "better classical (mean)",
                "wins",
                "ties (±0.01)",
                "losses",
                "worst below KMeans",
                "median seed-to-seed ARI",
            ],
            [
                [
                    key,
                    f"{v['mean_ari'][key]:.3f}",
                    f"{v['better_classical_mean']:.3f}",
                    v["wins"],
                    v["ties"],
                    v["losses"],
                    f"{v['worst_below_kmeans']:.3f}",
                    f"{v['median_seed_ari']:.2f}",
                ]
                for key, v in judged.items()
            ],
        )
    )
    lines += ["", _reading(first, len(tables)), ""]
    if variants and len(tables) > 1:
        lines += _leave_tables_out_markdown(leave_tables_out(tables, deep))
    return "\n".join(lines)


def _leave_tables_out_markdown(rows: list[dict]) -> list[str]:
    lines = [
        "## Leave tables out",
        "",
        "Each half of the tables (alternate names in alphabetical order) chooses the "
        "setting with the best mean ARI outside its test rows; the other half confirms "
        "it, on all rows and on the test rows alone.",
        "",
    ]
    for row in rows:
        candidates = list(row["choice"])
        lines += [
            f"Chosen on {', '.join(row['chosen_on'])}: **{row['chosen']}**; confirmed "
            f"on {', '.join(row['confirmed_on'])}.",
            "",
            markdown_table(
                [
                    "setting",
                    "choice ARI (chosen half)",
                    "ARI (other half)",
                    "test ARI (other half)",
                ],
                [
                    [
                        m,
                        f"{row['choice'][m]:.3f}",
                        f"{row['confirmed'][m]:.3f}",
                        f"{row['confirmed_test'][m]:.3f}",
                    ]
                    for m in candidates
                ],
            ),
            "",
        ]
    return lines


def _reading(v: dict, n_tables: int) -> str:
    gap = v["mean_ari"][DEFAULT] - v["better_classical_mean"]
    share = (v["wins"] + v["ties"]) / n_tables
    word = "equal to" if round(gap, 3) == 0 else "above" if gap > 0 else "below"
    amount = "" if word == "equal to" else f"{abs(gap):.3f} "
    return (
        f"The default model's mean ARI is {amount}{word} the better classical "
        f"method per table; it wins or ties on {share:.0%} of the tables and is up to "
        f"{max(v['worst_below_kmeans'], 0):.3f} below KMeans on one. Issue 22's target: "
        "+0.02 on the mean, wins or ties on 60 %, never 0.05 below KMeans."
    )
